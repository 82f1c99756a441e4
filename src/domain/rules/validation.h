// Field validation of every entity (SPEC §1). Each function checks the whole
// record and reports every problem at once: an InvalidArgument whose details
// name each field by its JSON name ("country", "smart_tags.region").
#pragma once

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
