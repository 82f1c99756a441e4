// The Sellsy connector (SPEC §5, R-SELLSY-1..9): pulls customers
// (companies and individuals), contacts, invoices, credit notes and
// payments from the Sellsy API v2; never writes back (R-SELLSY-5).
//
// Streams, in dependency order (SellsyPolicy().streams):
//   companies    companies and their contacts  updated_at cursor
//   individuals  individuals and their contacts updated_at cursor
//   contacts     contacts                       `updated` cursor
//   invoices     invoices dated from 2018       snapshot (full walk by id)
//   credit-notes credit notes and allocations   snapshot
//   payments     payments allocated to invoices snapshot
//
// The companies and individuals streams read each page's contacts with one
// contacts search (filter companies[] / individuals[]) and attach each
// contact per R-SELLSY-3 from all its links (GET /contacts/{id}/companies,
// and the individuals whose main_contact_id it is; Sellsy has no
// /contacts/{id}/individuals, so other individual links are searched by
// halving batches of individual ids).
//
// Cursors are JSON text, opaque to the engine:
//   {"since": "<RFC 3339>", "offset": "<Sellsy seek offset>", "max": "<RFC 3339>",
//    "full": true}
// "" starts a full walk; `since` (updated-at streams only) restricts the
// walk to records changed from then on; `offset` resumes inside a walk;
// `max` is the highest updated_at seen in the walk so far. At the end of a
// walk, an updated-at stream's next cursor is {"since": max - 2 s} (the
// overlap only re-sends records, which versions dedupe); a snapshot stream's
// is "" (the next call walks everything again). `scan_complete` is set on
// the last page of a walk that started from "" ("full" marks such a walk).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sync/connector.h"
#include "sync/connectors/sellsy/sellsy_client.h"
#include "sync/connectors/sellsy/sellsy_mapping.h"

namespace relance::sync::sellsy {

const ConnectorPolicy& SellsyPolicy();
// name "sellsy"; settings api_url, token_url; secrets client_id, client_secret.
const ConnectorType& SellsyConnectorType();

class SellsyConnector : public Connector {
 public:
  explicit SellsyConnector(SellsyClientOptions options);

  const ConnectorPolicy& policy() const override { return SellsyPolicy(); }
  Result<void> TestCredentials() override;
  Result<FetchPage> Fetch(std::string_view stream, const std::string& cursor) override;
  Result<std::vector<SourceRecord>> Refetch(const ChangeHint& hint) override;
  Result<std::vector<SourceRecord>> FetchOne(EntityKind kind,
                                             const std::string& external_id) override;
  Result<std::vector<std::string>> ListExternalIds(EntityKind kind) override;
  Result<std::string> RegisterWebhook(const std::string& url) override;
  Result<void> UnregisterWebhook(const std::string& webhook_id) override;
  // GET of an invoice's `pdf_link` (a public link in Sellsy: no bearer).
  Result<std::string> FetchDocument(const std::string& url) override;

  SellsyClient& client() { return client_; }

 private:
  struct Cursor {
    std::string since;
    std::string offset;
    std::string max;
    bool full = true;  // the walk started from ""
  };
  static Result<Cursor> ParseCursor(std::string_view stream, const std::string& text);
  static std::string CursorText(const Cursor& c);
  static void EndPage(FetchPage& out, const SellsyPage& page, const Cursor& cursor,
                      bool updated_at_stream, const std::string& max);

  Result<FetchPage> FetchParties(PartyKind kind, const Cursor& cursor);
  Result<FetchPage> FetchContacts(const Cursor& cursor);
  Result<FetchPage> FetchDocuments(bool credit_notes, const Cursor& cursor);
  Result<FetchPage> FetchPayments(const Cursor& cursor);

  // A company or individual by id with its contacts; 404 -> deleted.
  Result<std::vector<SourceRecord>> RefetchParty(PartyKind kind, int64_t id, bool with_contacts);
  // The contacts of one party (GET /{companies|individuals}/{id}/contacts),
  // each attached per R-SELLSY-3.
  Result<std::vector<SourceRecord>> ContactsOf(const LinkedParty& party);
  // The contacts of a page of parties in one search (contacts filtered by
  // companies[] or individuals[]), each attached per R-SELLSY-3: cheaper
  // than one ContactsOf per party.
  Result<std::vector<SourceRecord>> ContactsOfPage(PartyKind kind,
                                                   const std::vector<LinkedParty>& parties);
  // Every party a contact is linked to: its companies from
  // GET /contacts/{id}/companies, and the individuals known to link it
  // (main_contact_id of every individual, GET /individuals/{id}/contacts).
  Result<std::vector<LinkedParty>> PartiesOfContact(int64_t contact_id);
  // One contact mapped; with no company, its individuals are searched
  // (FindIndividualsOf). nullopt when it is linked to a party that cannot
  // be found: nothing is said rather than a false deletion.
  Result<std::optional<SourceRecord>> MapContactWithLinks(const nlohmann::json& contact);
  Result<std::vector<SourceRecord>> RefetchContact(int64_t id);
  Result<std::vector<SourceRecord>> RefetchDocument(bool credit_note, int64_t id);
  Result<std::vector<SourceRecord>> RefetchPayment(int64_t id);
  Result<std::optional<SourceRecord>> MapCreditNoteWithLinks(const nlohmann::json& credit_note);

  // Fills individuals_of_contact_ from every individual's main_contact_id
  // (one search walk, 100 a page), at most once per kIndexTtl.
  Result<void> IndexIndividuals();
  // The individuals a contact is linked to without being their main
  // contact (rare): contacts searched by batches of individual ids, then
  // halved down to the individual.
  Result<std::vector<LinkedParty>> FindIndividualsOf(int64_t contact_id);
  Result<std::vector<LinkedParty>> FindIndividualsAmong(int64_t contact_id,
                                                        const std::vector<LinkedParty>& candidates);
  Result<bool> ContactLinkedToAny(int64_t contact_id, const std::vector<LinkedParty>& individuals);

  SellsyClient client_;
  std::vector<LinkedParty> individuals_;  // as of the last index
  std::optional<std::chrono::steady_clock::time_point> indexed_at_;
  // Contact id -> its companies and when they were read (streams only;
  // Refetch and FetchOne start afresh).
  std::map<int64_t, std::pair<std::chrono::steady_clock::time_point, std::vector<LinkedParty>>>
      companies_of_contact_;
  // Contact id -> the individuals it is linked to (Sellsy has no
  // /contacts/{id}/individuals), filled while reading individuals.
  std::map<int64_t, std::map<int64_t, LinkedParty>> individuals_of_contact_;
};

Result<std::unique_ptr<Connector>> CreateSellsyConnector(const ConnectionSettings& settings,
                                                         const ConnectionSettings& secrets);

}  // namespace relance::sync::sellsy
