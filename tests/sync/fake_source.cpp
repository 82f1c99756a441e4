#include "sync/fake_source.h"

#include "core/date.h"

namespace relance::test {
namespace {

using sync::EntityKind;
using sync::SourceRecord;

class FakeConnector : public sync::Connector {
 public:
  FakeConnector(FakeSource& s, std::string key) : s_(s), key_(std::move(key)) {
    ++s_.connectors_alive;
  }
  ~FakeConnector() override { --s_.connectors_alive; }

  const sync::ConnectorPolicy& policy() const override { return FakePolicy(); }

  Result<void> TestCredentials() override { return Tick(); }

  Result<sync::FetchPage> Fetch(std::string_view stream, const std::string& cursor) override {
    RETURN_IF_ERROR(Tick());
    sync::FetchPage page;
    const auto& all = s_.streams[std::string(stream)];
    auto it = cursor.empty() ? all.begin() : all.upper_bound(cursor);
    for (; it != all.end() && static_cast<int>(page.records.size()) < s_.page_size; ++it) {
      page.records.push_back(it->second);
      page.next_cursor = it->first;
    }
    page.more = it != all.end();
    if (!page.more) {
      page.scan_complete = true;
      page.next_cursor = "";  // the next walk starts again from the start
    }
    return page;
  }

  Result<std::vector<SourceRecord>> Refetch(const sync::ChangeHint& hint) override {
    RETURN_IF_ERROR(Tick());
    return Current(hint.object_id, hint.object_type);
  }

  Result<std::vector<SourceRecord>> FetchOne(EntityKind kind, const std::string& ext) override {
    RETURN_IF_ERROR(Tick());
    ++s_.fetch_one_calls;
    const auto* r = s_.Find(ext);
    if (r == nullptr || r->kind != kind) return std::vector<SourceRecord>{};
    return std::vector<SourceRecord>{*r};
  }

  Result<std::vector<std::string>> ListExternalIds(EntityKind) override {
    return std::vector<std::string>{};
  }
  Result<std::string> RegisterWebhook(const std::string& url) override { return "wh-" + url; }
  Result<void> UnregisterWebhook(const std::string&) override { return Ok(); }

  Result<std::string> FetchDocument(const std::string& url) override {
    RETURN_IF_ERROR(Tick());
    ++s_.document_calls;
    auto it = s_.documents.find(url);
    if (it == s_.documents.end()) return NotFound("no document at " + url);
    return it->second;
  }

 private:
  Result<void> Tick() {
    if (key_ != s_.accepted_key) {
      return Error(ErrorCode::kUnauthenticated, "the fake source no longer accepts this key");
    }
    if (++s_.calls == s_.fail_at_call) return Unavailable("the fake source is down (injected)");
    return Ok();
  }

  std::vector<SourceRecord> Current(const std::string& ext, const std::string& type) {
    if (const auto* r = s_.Find(ext)) return {*r};
    SourceRecord gone;
    gone.kind = *sync::EntityKindNamed(type);
    gone.external_id = ext;
    gone.deleted = true;
    return {gone};
  }

  FakeSource& s_;
  std::string key_;
};

SourceRecord Base(EntityKind kind, const std::string& ext, int version) {
  SourceRecord r;
  r.kind = kind;
  r.external_id = ext;
  r.version = "v" + std::to_string(version);
  return r;
}

}  // namespace

void FakeSource::Put(const std::string& stream, SourceRecord r) {
  streams[stream][r.external_id] = std::move(r);
}

void FakeSource::Remove(const std::string& stream, const std::string& ext) {
  streams[stream].erase(ext);
}

const SourceRecord* FakeSource::Find(const std::string& ext) const {
  for (const auto& [name, records] : streams) {
    if (auto it = records.find(ext); it != records.end()) return &it->second;
  }
  return nullptr;
}

SourceRecord FakeCustomer(const std::string& ext, const std::string& name, int version) {
  SourceRecord r = Base(EntityKind::kCustomer, ext, version);
  sync::SourceCustomer c;
  c.record.name = name;
  r.data = c;
  return r;
}

SourceRecord FakeContact(const std::string& ext, const std::string& customer_ext,
                         const std::string& email, bool main, int version) {
  SourceRecord r = Base(EntityKind::kContact, ext, version);
  sync::SourceContact c;
  c.customer_external_id = customer_ext;
  c.record.email = email;
  c.record.is_main = main;
  c.record.position = main ? "ACCOUNTING" : "SALES";
  r.data = c;
  return r;
}

SourceRecord FakeInvoice(const std::string& ext, const std::string& customer_ext,
                         const std::string& number, int64_t gross, int version) {
  SourceRecord r = Base(EntityKind::kInvoice, ext, version);
  sync::SourceInvoice i;
  i.customer_external_id = customer_ext;
  i.record.number = number;
  i.record.issue_date = *Date::Parse("2026-01-05");
  i.record.printed_due_date = *Date::Parse("2026-02-05");
  i.record.gross_amount = gross;
  i.record.net_amount = gross;
  i.record.origin = "fake";
  r.data = i;
  return r;
}

SourceRecord FakeCreditNote(const std::string& ext, const std::string& customer_ext,
                            const std::string& number, int64_t gross,
                            std::vector<sync::SourceAllocation> allocations, int version) {
  SourceRecord r = FakeInvoice(ext, customer_ext, number, gross, version);
  r.kind = EntityKind::kCreditNote;
  auto& note = std::get<sync::SourceInvoice>(r.data);
  note.record.kind = "CREDIT_NOTE";
  note.allocations = std::move(allocations);
  return r;
}

SourceRecord FakePayment(const std::string& ext, const std::string& customer_ext, int64_t amount,
                         std::vector<sync::SourceAllocation> allocations, int version) {
  SourceRecord r = Base(EntityKind::kPayment, ext, version);
  sync::SourcePayment p;
  p.customer_external_id = customer_ext;
  p.record.amount = amount;
  p.record.date = *Date::Parse("2026-01-20");
  p.allocations = std::move(allocations);
  r.data = p;
  return r;
}

const sync::ConnectorPolicy& FakePolicy() {
  using sync::ChangeDetection;
  using sync::DeletionPolicy;
  static const sync::ConnectorPolicy policy = [] {
    sync::ConnectorPolicy p;
    p.connector = "fake";
    std::vector<ChangeDetection> d = {ChangeDetection::kWebhooks, ChangeDetection::kSnapshotDiff};
    p.entities = {
        {EntityKind::kCustomer, sync::Direction::kPull, {"name", "payment_delay_days"}, {},
         DeletionPolicy::kPropagate, std::nullopt, d, {}},
        {EntityKind::kContact, sync::Direction::kPull, {"email", "first_name", "last_name"},
         {"position", "is_main"}, DeletionPolicy::kPropagate, std::nullopt, d, {}},
        {EntityKind::kInvoice, sync::Direction::kPull,
         {"number", "issue_date", "printed_due_date", "gross_amount", "net_amount", "is_void", "pdf_url"},
         {},
         DeletionPolicy::kMarkDeleted, *Date::Parse("2018-01-01"), d, {}},
        {EntityKind::kPayment, sync::Direction::kPull, {"amount", "date"}, {},
         DeletionPolicy::kPropagate, *Date::Parse("2018-01-01"), d, {}},
        {EntityKind::kCreditNote, sync::Direction::kPull, {"number", "issue_date", "gross_amount"},
         {}, DeletionPolicy::kPropagate, *Date::Parse("2018-01-01"), d, {}},
    };
    p.streams = {{"customers"}, {"contacts"}, {"invoices"}, {"payments"}, {"credit-notes"}};
    return p;
  }();
  return policy;
}

std::unique_ptr<sync::Connector> NewFakeConnector(FakeSource& source) {
  return std::make_unique<FakeConnector>(source, source.accepted_key);
}

sync::ConnectorType FakeConnectorType(FakeSource& source) {
  sync::ConnectorType t;
  t.name = "fake";
  t.display_name = "Fake";
  t.required_secrets = {"api_key"};
  t.policy = &FakePolicy();
  t.parse_webhook = [](std::string_view, std::string_view body)
      -> Result<std::vector<sync::ChangeHint>> {
    // "kind:external_id" per line.
    std::vector<sync::ChangeHint> hints;
    size_t start = 0;
    while (start < body.size()) {
      size_t end = body.find('\n', start);
      if (end == std::string_view::npos) end = body.size();
      std::string_view line = body.substr(start, end - start);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) return InvalidArgument("a line has no ':'");
      hints.push_back({std::string(line.substr(0, colon)), std::string(line.substr(colon + 1)),
                       "updated"});
      start = end + 1;
    }
    return hints;
  };
  t.create = [&source](const sync::ConnectionSettings&, const sync::ConnectionSettings& secrets)
      -> Result<std::unique_ptr<sync::Connector>> {
    if (secrets.at("api_key") != source.accepted_key) {
      return Error(ErrorCode::kUnauthenticated, "the fake source refuses this key");
    }
    ++source.connectors_created;
    return std::unique_ptr<sync::Connector>(
        std::make_unique<FakeConnector>(source, secrets.at("api_key")));
  };
  return t;
}

}  // namespace relance::test
