// The interface every connector implements (connectors/<system>/). A
// connector talks to its system and maps records both ways; it never
// touches the store. The engine (sync_engine.h) drives it: pages of a
// stream, re-fetches for webhook hints, references it does not know yet,
// full id snapshots for deletions.
//
// A Connector instance belongs to one connection (one organization's
// credentials) and is used by one runner thread at a time.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "sync/policy.h"
#include "sync/source_record.h"

namespace relance::sync {

struct FetchPage {
  std::vector<SourceRecord> records;
  // Stored with the page's records in one transaction; the next call
  // resumes from it. Opaque to the engine.
  std::string next_cursor;
  bool more = false;  // another page is ready now: call again with next_cursor
  // True on the last page of a walk that started from cursor "": every
  // record of the stream was listed (the engine's snapshot diff relies on
  // full walks of every stream, see sync_engine.h).
  bool scan_complete = false;
};

// Error conventions for every call below:
// - kUnauthenticated / kPermissionDenied: the credentials are wrong or were
//   revoked (the connection's status says so; retrying will not help);
// - kUnavailable: transport failure, 5xx, 429 past the connector's own
//   waiting, garbage answers: the run stops and is retried later;
// - kInvalidArgument: the source sent something that cannot be mapped; the
//   message names the record and the field.
class Connector {
 public:
  virtual ~Connector() = default;

  virtual const ConnectorPolicy& policy() const = 0;

  // The cheapest authenticated call; ok when the credentials work.
  virtual Result<void> TestCredentials() = 0;

  // One page of `stream` after `cursor` ("" = from the start: the backfill,
  // from the policies' dated_from).
  virtual Result<FetchPage> Fetch(std::string_view stream, const std::string& cursor) = 0;

  // The current state of what a webhook hint names, with the records that
  // depend on it (a company with its contacts); records the source no
  // longer has come back with deleted = true.
  virtual Result<std::vector<SourceRecord>> Refetch(const ChangeHint& hint) = 0;

  // One record by kind and external id, to resolve a reference the engine
  // does not know yet (an invoice delivered before its customer). Empty
  // when the source does not have it.
  virtual Result<std::vector<SourceRecord>> FetchOne(EntityKind kind,
                                                     const std::string& external_id) = 0;

  // Every external id of `kind` the source still has within the policy's
  // filters (ChangeDetection::kSnapshotDiff).
  virtual Result<std::vector<std::string>> ListExternalIds(EntityKind kind) = 0;

  // Registers `url` for change notifications; returns the source's id of
  // the registration, for UnregisterWebhook.
  virtual Result<std::string> RegisterWebhook(const std::string& url) = 0;
  virtual Result<void> UnregisterWebhook(const std::string& webhook_id) = 0;

  // The bytes of a document the source links to (an invoice's PDF), with
  // whatever authentication the source needs.
  virtual Result<std::string> FetchDocument(const std::string& url) {
    return Error(ErrorCode::kFailedPrecondition,
                 "this connector cannot fetch documents (" + url + ")");
  }
};

// Non-secret settings (URLs, options) and secrets (client secret, tokens)
// of one connection, as stored (secrets decrypted only in memory).
using ConnectionSettings = std::map<std::string, std::string>;

// What the engine, the API and the CLI know of a connector type without a
// connection: its policy, the settings it needs, how to read a webhook
// delivery (fast: no network), and how to make a connector.
struct ConnectorType {
  std::string name;  // "sellsy"
  std::string display_name;  // "Sellsy"
  std::vector<std::string> required_settings;  // e.g. api_url
  std::vector<std::string> required_secrets;   // e.g. client_id, client_secret
  const ConnectorPolicy* policy = nullptr;
  // Parses one webhook delivery into hints; kInvalidArgument naming what is
  // malformed. Must not block.
  std::function<Result<std::vector<ChangeHint>>(std::string_view content_type,
                                                std::string_view body)>
      parse_webhook;
  std::function<Result<std::unique_ptr<Connector>>(const ConnectionSettings& settings,
                                                   const ConnectionSettings& secrets)>
      create;
};

}  // namespace relance::sync
