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
// halving batches of individual ids). The streams ask for the companies of
// a page's contacts, and for the invoices of a page's credit notes,
// together, SellsyClient::kBatchLimit of them per POST /batch (research §2),
// rather than one call each; a webhook's refetch still asks one by one.
//
// Every page asks only for the members its mapping reads (field[], the
// lists beside the mappings in sellsy_mapping.h).
//
// A connector lives as long as its connection is unchanged (the runner
// keeps it between runs, sync_runner.h), so what it learns is kept with an
// eye on staleness:
// - the access token, until a minute before it expires (SellsyClient);
// - the index of every individual's main contact: read once (one search
//   walk, 100 a page), then kept up to date from every individual the
//   connector reads (stream pages, webhook refetches; a 404 removes it),
//   and read again when a full walk of companies or individuals starts;
//   in a Refetch or FetchOne (a webhook hint: the current state is asked
//   for), each individual the index names as a contact's main party is
//   read again before it is believed;
// - a contact's other links to individuals (found by listing or searching)
//   for kIndividualLinksTtl, dropped when a hint names the contact;
// - a contact's companies for a minute, within the streams only.
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
#include <set>
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
  // companies[] or individuals[]), each attached per R-SELLSY-3 and appended
  // to `out`: cheaper than one ContactsOf per party.
  Result<void> ContactsOfPage(PartyKind kind, const std::vector<LinkedParty>& parties,
                              std::vector<SourceRecord>& out);
  // Every party a contact is linked to: its companies from
  // GET /contacts/{id}/companies (or companies_of_contact_), and the
  // individuals known to link it (main_contact_id of every individual,
  // GET /individuals/{id}/contacts).
  Result<std::vector<LinkedParty>> PartiesOfContact(int64_t contact_id);
  // The companies of a page's contacts, those not read lately, asked in
  // POST /batch calls (SellsyClient::FirstPages) into companies_of_contact_,
  // where PartiesOfContact finds them. A contact whose answer failed or
  // holds more than one page is left to PartiesOfContact's own call.
  Result<void> ReadCompaniesOfContacts(const std::vector<JsonElement>& contacts);
  // A contact's companies read less than kCompaniesCacheTtl ago, or nullptr.
  const std::vector<LinkedParty>* FreshCompanies(int64_t contact_id,
                                                 std::chrono::steady_clock::time_point now) const;
  void RememberCompanies(int64_t contact_id, std::chrono::steady_clock::time_point when,
                         std::vector<LinkedParty> companies);
  // One contact mapped, appended to `out`; with no company, its individuals
  // are searched (FindIndividualsOf). Nothing is appended when it is linked
  // to a party that cannot be found: nothing is said rather than a false
  // deletion.
  Result<void> MapContactWithLinks(JsonElement contact, std::vector<SourceRecord>& out);
  Result<std::vector<SourceRecord>> RefetchContact(int64_t id);
  Result<std::vector<SourceRecord>> RefetchDocument(bool credit_note, int64_t id);
  Result<std::vector<SourceRecord>> RefetchPayment(int64_t id);
  // A credit note with its allocations (CreditNoteAllocations), its
  // invoices read by GET /credit-notes/{id}/invoices.
  Result<std::optional<SourceRecord>> MapCreditNoteWithLinks(JsonElement credit_note);
  // MapCreditNoteWithLinks for a page of credit notes, appended to `out`:
  // the invoices of those that allocated something are asked for together
  // (SellsyClient::FirstPages, POST /batch) rather than one GET each; an
  // answer that failed or holds more than one page is asked again alone.
  Result<void> MapCreditNotes(const std::vector<JsonElement>& credit_notes,
                              std::vector<SourceRecord>& out);
  // The allocations of `credit_note` (`cn` mapped without them) from its
  // linked invoices, and its version again.
  Result<void> AddAllocations(JsonElement cn, const std::vector<JsonElement>& invoices,
                              SourceRecord& credit_note);

  // Reads the index of individuals (every individual's id, type and main
  // contact) unless it is already held.
  Result<void> IndexIndividuals();
  // Keeps the index in step with an individual just read, or gone.
  void UpsertIndividual(const LinkedParty& individual);
  void EraseIndividual(int64_t id);
  // Reads again the individuals the index names as `contact_id`'s main
  // party (once per Refetch / FetchOne call).
  Result<void> VerifyMainOf(int64_t contact_id);
  // A link of a contact to an individual that is not its main contact.
  void NoteIndividualLink(int64_t contact_id, const LinkedParty& individual);
  // The individuals a contact is linked to without being their main
  // contact (rare): contacts searched by batches of individual ids, then
  // halved down to the individual.
  Result<std::vector<LinkedParty>> FindIndividualsOf(int64_t contact_id);
  Result<std::vector<LinkedParty>> FindIndividualsAmong(int64_t contact_id,
                                                        const std::vector<LinkedParty>& candidates);
  Result<bool> ContactLinkedToAny(int64_t contact_id, const std::vector<LinkedParty>& individuals);
  // A Refetch or FetchOne begins: what it reads must be current.
  void BeginCurrentStateCall();

  using Clock = std::chrono::steady_clock;

  SellsyClient client_;
  // The index of individuals by id (see the file comment), and its
  // reverse: contact id -> the individuals whose main contact it is.
  std::map<int64_t, LinkedParty> individuals_;
  bool individuals_indexed_ = false;
  std::map<int64_t, std::set<int64_t>> main_of_contact_;
  // Inside a Refetch / FetchOne: the individuals read again already.
  bool verify_main_links_ = false;
  std::set<int64_t> verified_individuals_;
  // Contact id -> its companies and when they were read (streams only;
  // Refetch and FetchOne start afresh).
  std::map<int64_t, std::pair<Clock::time_point, std::vector<LinkedParty>>> companies_of_contact_;
  // Contact id -> individual id -> a link that is not a main-contact one
  // (Sellsy has no /contacts/{id}/individuals) and when it was seen.
  std::map<int64_t, std::map<int64_t, std::pair<Clock::time_point, LinkedParty>>>
      individual_links_;
};

Result<std::unique_ptr<Connector>> CreateSellsyConnector(const ConnectionSettings& settings,
                                                         const ConnectionSettings& secrets);

}  // namespace relance::sync::sellsy
