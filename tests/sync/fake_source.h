// An in-memory external system for the engine's tests: customers,
// contacts, invoices and payments held as mapped source records, exposed
// through the Connector interface with pages of a fixed size, and faults
// to inject (fail the Nth call). Deliberately simple: the engine's
// behaviour, not a real API's, is under test (the Sellsy connector has its
// own tests against its emulator).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sync/connector.h"

namespace relance::test {

struct FakeSource {
  // external id -> record, per stream ("customers", "contacts", "invoices", "payments",
  // "credit-notes").
  std::map<std::string, std::map<std::string, sync::SourceRecord>> streams;
  int page_size = 2;
  int calls = 0;
  int fail_at_call = -1;  // the call number (from 1) that fails with kUnavailable
  int fetch_one_calls = 0;
  // url -> bytes of the documents the source serves; others are 404.
  std::map<std::string, std::string> documents;
  int document_calls = 0;
  // The api_key the source accepts: the connector type refuses to create a
  // connector with another, and a connector created with a key the source
  // no longer accepts (revoked) fails its calls with kUnauthenticated.
  std::string accepted_key = "good-key";
  int connectors_created = 0;  // by the connector type's create
  int connectors_alive = 0;    // created and not destroyed yet

  void Put(const std::string& stream, sync::SourceRecord r);
  void Remove(const std::string& stream, const std::string& external_id);
  const sync::SourceRecord* Find(const std::string& external_id) const;
};

sync::SourceRecord FakeCustomer(const std::string& ext, const std::string& name,
                                int version = 1);
sync::SourceRecord FakeContact(const std::string& ext, const std::string& customer_ext,
                               const std::string& email, bool main, int version = 1);
sync::SourceRecord FakeInvoice(const std::string& ext, const std::string& customer_ext,
                               const std::string& number, int64_t gross, int version = 1);
// A credit note of `gross` allocated to invoices (stream "credit-notes").
sync::SourceRecord FakeCreditNote(const std::string& ext, const std::string& customer_ext,
                                  const std::string& number, int64_t gross,
                                  std::vector<sync::SourceAllocation> allocations,
                                  int version = 1);
sync::SourceRecord FakePayment(const std::string& ext, const std::string& customer_ext,
                               int64_t amount,
                               std::vector<sync::SourceAllocation> allocations, int version = 1);

// The policy of the fake: customers and contacts (owned: name / email;
// position and is_main create-only), invoices (marked deleted), payments,
// credit notes.
const sync::ConnectorPolicy& FakePolicy();

std::unique_ptr<sync::Connector> NewFakeConnector(FakeSource& source);

// A connector type named "fake" over `source`, with required secret "api_key".
sync::ConnectorType FakeConnectorType(FakeSource& source);

}  // namespace relance::test
