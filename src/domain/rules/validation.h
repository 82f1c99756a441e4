// Field validation of every entity (SPEC §1). Each function checks the whole
// record and reports every problem at once: an InvalidArgument whose details
// name each field by its JSON name ("country", "smart_tags.region").
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/result.h"
#include "domain/entities.h"

namespace relance::domain {

Result<void> ValidateOrganization(const Organization& o);
Result<void> ValidateUser(const User& u);
Result<void> ValidateCustomer(const Customer& c);
Result<void> ValidateContact(const Contact& c);
// ValidateContact but for customer_id: the checks of a contact whose customer
// is not resolved yet (an import row).
Result<void> ValidateContactFields(const Contact& c);

// The fields of a customer and of a contact that the rules above check, as
// views: an import checks each row's values where they are, without copying
// them into a record first (the record overloads check through these, so
// both accept and refuse the same values with the same messages).
// The viewed texts and maps must outlive the call.
struct CustomerFields {
  std::optional<std::string_view> external_id;
  std::string_view name;
  std::string_view status = "CLIENT";
  std::optional<std::string_view> accounting_code;
  std::optional<std::string_view> vat_number;
  std::optional<std::string_view> street;
  std::optional<std::string_view> postal_code;
  std::optional<std::string_view> city;
  std::optional<std::string_view> region;
  std::optional<std::string_view> country;
  std::optional<std::string_view> account_manager_id;
  std::optional<std::string_view> parent_id;
  std::optional<std::string_view> dunning_plan_id;
  std::optional<int64_t> payment_delay_days;
  const StringMap* smart_tags = nullptr;  // nullptr: none
  const StringMap* custom_fields = nullptr;
};
struct ContactFields {
  std::string_view email;
  std::optional<std::string_view> first_name;
  std::optional<std::string_view> last_name;
  std::optional<std::string_view> phone;
  std::optional<std::string_view> external_id;
  std::optional<std::string_view> position;
};
CustomerFields FieldsOf(const Customer& c);
ContactFields FieldsOf(const Contact& c);

// The views of the fields that `part` names as Customer does (a Customer, an
// import row's customer part); the name, the status and the references,
// which a part may hold otherwise or not at all, are the caller's to set.
template <typename Part>
CustomerFields SameNamedCustomerFields(const Part& part) {
  CustomerFields f;
  f.external_id = part.external_id;
  f.accounting_code = part.accounting_code;
  f.vat_number = part.vat_number;
  f.street = part.street;
  f.postal_code = part.postal_code;
  f.city = part.city;
  f.region = part.region;
  f.country = part.country;
  f.payment_delay_days = part.payment_delay_days;
  f.smart_tags = &part.smart_tags;
  f.custom_fields = &part.custom_fields;
  return f;
}

// The same for a contact, whose every checked field a part names the same.
template <typename Part>
ContactFields ContactFieldsOf(const Part& part) {
  ContactFields f;
  f.email = part.email;
  f.first_name = part.first_name;
  f.last_name = part.last_name;
  f.phone = part.phone;
  f.external_id = part.external_id;
  f.position = part.position;
  return f;
}
Result<void> ValidateCustomerFields(const CustomerFields& c);
Result<void> ValidateContactFields(const ContactFields& c);
Result<void> ValidateInvoice(const Invoice& i);
Result<void> ValidatePayment(const Payment& p);
Result<void> ValidateProduct(const Product& p);
Result<void> ValidateDunningPlan(const DunningPlan& d);
// R-DUN-1, R-SEND-5: channel, trigger, mode and recipients agree.
Result<void> ValidateDunningStep(const DunningStep& s);

// Pragmatic e-mail syntax: one '@', non-empty parts, a dot in the domain, no
// spaces or control characters, at most 254 characters.
bool IsPlausibleEmail(std::string_view email);
// ISO 3166-1 alpha-2, upper case.
bool IsCountryCode(std::string_view code);

}  // namespace relance::domain
