#include "dunning/scenario_runner.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/clock.h"
#include "delivery/bounce_samples.h"
#include "delivery/postal_sender.h"
#include "delivery/sms_sender.h"
#include "delivery/smtp_sender.h"
#include "dunning/bounce_service.h"
#include "dunning/executor.h"
#include "dunning/planning_service.h"
#include "dunning/todo_service.h"
#include "services/allocation_service.h"
#include "services/auth_service.h"
#include "services/record_service.h"
#include "store/migrations/migrations.h"
#include "store/record_repository.h"
#include "store/test_databases.h"

namespace relance::dunning::testing {
namespace {

using nlohmann::json;

// What a kill of the process would leave: nothing after this point runs.
struct Crash {};

// The real sender, with a kill point for `crash` lines.
class CrashingSender final : public delivery::EmailSender {
 public:
  explicit CrashingSender(delivery::EmailSender& real) : real_(real) {}
  std::string mode;  // "", "after-handover", "before-send"
  Result<std::string> Send(const delivery::EmailMessage& m,
                           const delivery::BeforeCommit& hook) override {
    const std::string now = mode;
    mode.clear();
    if (now == "before-send") throw Crash{};
    auto r = real_.Send(m, hook);
    if (now == "after-handover") throw Crash{};
    return r;
  }

 private:
  delivery::EmailSender& real_;
};

std::vector<std::string> Tokens(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false, any = false;
  for (char ch : line) {
    if (ch == '"') {
      quoted = !quoted;
      any = true;
    } else if (ch == ' ' && !quoted) {
      if (any) out.push_back(cur);
      cur.clear();
      any = false;
    } else {
      cur += ch;
      any = true;
    }
  }
  if (any) out.push_back(cur);
  return out;
}

class Runner {
 public:
  Runner(const std::string& backend, const Servers& servers)
      : control_(servers.smtp_control),
        sms_control_(servers.sms_base),
        postal_control_(servers.postal_base),
        smtp_(delivery::SmtpSettings{servers.smtp_url, "", "", false, 5000}),
        sms_({servers.sms_base, kSmsAccount, "relance-test-auth-token", "+33700000001", "", 5000}),
        letters_({servers.postal_base, "test_postal_relance"}),
        crashing_(smtp_) {
    db_ = test::TestDatabase::Open(backend);
    if (!db_) return;
    EXPECT_TRUE(store::ApplyMigrations(db_->db()).ok());
    ctx_ = std::make_unique<services::Context>(services::Context{db_->db(), clock_});
    services::AuthService auth(*ctx_, services::PasswordCost::kMinimum);
    auto org = auth.CreateOrganization({"Acme"});
    EXPECT_TRUE(org.ok());
    auto user = auth.CreateUser(org->meta.id, {"admin@acme.test", "Alice Martin", "ADMIN",
                                               "correct horse battery", std::nullopt});
    EXPECT_TRUE(user.ok());
    who_ = {org->meta.id, user->meta.id, "ADMIN"};
    names_["me"] = user->meta.id;
    control_.Delete("/messages");
    control_.Delete("/faults");
    sms_control_.Delete("/_control/messages");
    postal_control_.Delete("/_control/letters");
  }

  ~Runner() {
    if (!pdf_path_.empty()) std::filesystem::remove(pdf_path_);
  }

  bool ready() const { return ctx_ != nullptr; }

  void Line(const std::vector<std::string>& t, const std::string& raw) {
    const std::string& cmd = t[0];
    if (cmd == "org") {
      Update<domain::Organization>(who_.org_id, Fields<domain::Organization>(t, 1));
    } else if (cmd == "plan") {
      Create<domain::DunningPlan>(t);
    } else if (cmd == "step") {
      Create<domain::DunningStep>(t);
    } else if (cmd == "customer") {
      Create<domain::Customer>(t);
    } else if (cmd == "contact") {
      Create<domain::Contact>(t);
    } else if (cmd == "invoice") {
      Create<domain::Invoice>(t);
    } else if (cmd == "update") {
      UpdateNamed(t);
    } else if (cmd == "pay") {
      Pay(t);
    } else if (cmd == "at") {
      auto ts = ParseTimestamp(t.at(1));
      ASSERT_TRUE(ts.ok()) << t.at(1);
      clock_.Set(*ts);
    } else if (cmd == "run") {
      Run();
    } else if (cmd == "crash") {
      crashing_.mode = t.at(1);
    } else if (cmd == "fault") {
      // The JSON is the rest of the line, quotes kept.
      const std::string body = raw.substr(raw.find("fault") + 5);
      auto r = control_.Post("/faults", body, "application/json");
      ASSERT_TRUE(r && r->status == 200) << "fault " << body << ": " << (r ? r->body : "");
    } else if (cmd == "bounce") {
      Bounce(t);
    } else if (cmd == "expect") {
      Expect(t);
    } else {
      FAIL() << "unknown command " << cmd;
    }
  }

 private:
  std::string Resolve(const std::string& v) {
    if (v == "$PDF") return "file://" + SamplePdf();
    auto it = names_.find(v);
    return it == names_.end() ? v : it->second;
  }

  // A small PDF document standing for an invoice's, attached by e-mails.
  std::string SamplePdf() {
    if (pdf_path_.empty()) {
      pdf_path_ = (std::filesystem::temp_directory_path() /
                   ("relance-scenario-" + std::to_string(::getpid()) + ".pdf"))
                      .string();
      std::ofstream(pdf_path_, std::ios::binary) << kPdf;
    }
    return pdf_path_;
  }
  static constexpr const char* kPdf =
      "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]"
      "/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
      "trailer<</Root 1 0 R>>\n%%EOF\n";
  std::string pdf_path_;

  template <typename T>
  std::vector<services::FieldAssignment> Fields(const std::vector<std::string>& t, size_t from) {
    std::vector<services::FieldAssignment> out;
    const auto& spec = domain::SpecOf<T>();
    for (size_t i = from; i < t.size(); ++i) {
      const auto eq = t[i].find('=');
      if (eq == std::string::npos) {
        ADD_FAILURE() << "expected FIELD=VALUE, got " << t[i];
        continue;
      }
      const std::string name = t[i].substr(0, eq), value = Resolve(t[i].substr(eq + 1));
      const auto* f = spec.Find(name);
      if (f == nullptr) {
        ADD_FAILURE() << "no field " << name << " on " << spec.entity;
        continue;
      }
      domain::FieldValue v;
      switch (f->type) {
        case domain::FieldType::kInt:
        case domain::FieldType::kMoney: v = int64_t{std::stoll(value)}; break;
        case domain::FieldType::kBool: v = value == "true"; break;
        case domain::FieldType::kDate: v = *Date::Parse(value); break;
        default: v = value;
      }
      if (value == "null") v = std::monostate{};
      out.push_back({name, v});
    }
    return out;
  }

  template <typename T>
  void Create(const std::vector<std::string>& t) {
    services::RecordService<T> svc(*ctx_);
    auto r = svc.Create(who_, Fields<T>(t, 2));
    ASSERT_TRUE(r.ok()) << t[0] << " " << t.at(1) << ": " << r.error().ToString();
    names_[t[1]] = r->meta.id;
    kinds_[t[1]] = t[0];
  }

  template <typename T>
  void Update(const std::string& id, const std::vector<services::FieldAssignment>& fields) {
    services::RecordService<T> svc(*ctx_);
    auto r = svc.Update(who_, id, fields);
    ASSERT_TRUE(r.ok()) << id << ": " << r.error().ToString();
  }

  void UpdateNamed(const std::vector<std::string>& t) {
    const std::string& kind = kinds_[t.at(1)];
    const std::string id = Resolve(t[1]);
    if (kind == "invoice") Update<domain::Invoice>(id, Fields<domain::Invoice>(t, 2));
    else if (kind == "customer") Update<domain::Customer>(id, Fields<domain::Customer>(t, 2));
    else if (kind == "contact") Update<domain::Contact>(id, Fields<domain::Contact>(t, 2));
    else if (kind == "step") Update<domain::DunningStep>(id, Fields<domain::DunningStep>(t, 2));
    else if (kind == "plan") Update<domain::DunningPlan>(id, Fields<domain::DunningPlan>(t, 2));
    else FAIL() << "update: unknown record " << t[1];
  }

  void Pay(const std::vector<std::string>& t) {
    services::AllocationService svc(*ctx_);
    const int64_t amount = std::stoll(t.at(2));
    const std::string date = t.size() > 3 ? t[3] : FormatTimestamp(clock_.Now()).substr(0, 10);
    auto r = svc.CreatePayment(who_, {{"amount", amount}, {"date", *Date::Parse(date)}},
                               {{Resolve(t[1]), amount}});
    ASSERT_TRUE(r.ok()) << r.error().ToString();
  }

  void Run() {
    PlanningService planner(*ctx_);
    auto plan = planner.Plan(who_.org_id, clock_.Now());
    ASSERT_TRUE(plan.ok()) << plan.error().ToString();
    Executor executor(*ctx_, Channels{&crashing_, &sms_, &letters_});
    try {
      auto sent = executor.RunOnce();
      ASSERT_TRUE(sent.ok()) << sent.error().ToString();
    } catch (const Crash&) {
      // The process died here; the next `run` is the restarted service.
    }
  }

  // The sample with {{MESSAGE_ID}} replaced by the id the sink saw in the
  // last e-mail to `to=` (or by `message_id=`).
  void Bounce(const std::vector<std::string>& t) {
    auto a = Args(t, 2);
    std::string id = a["message_id"];
    if (a.contains("to")) {
      auto r = control_.Get("/messages?to=" + a["to"]);
      ASSERT_TRUE(r && r->status == 200);
      json all = json::parse(r->body)["messages"];
      ASSERT_FALSE(all.empty()) << "the sink received no e-mail for " << a["to"];
      id = all.back()["message_id"].get<std::string>();
      if (id.size() >= 2 && id.front() == '<') id = id.substr(1, id.size() - 2);
    }
    const std::string text = test::BounceSample(t.at(1), id);
    auto outcome = BounceService(*ctx_).Apply(who_, text);
    const std::string want = a.contains("outcome") ? a["outcome"] : "changed";
    const std::string got = !outcome.ok()       ? std::string(ErrorCodeName(outcome.error().code()))
                            : outcome->changed ? "changed"
                                               : "unchanged";
    EXPECT_EQ(got, want) << (outcome.ok() ? outcome->note : outcome.error().ToString());
  }

  json NewMessages() {
    auto r = control_.Get("/messages?since=" + std::to_string(seen_));
    EXPECT_TRUE(r && r->status == 200);
    json all = r ? json::parse(r->body)["messages"] : json::array();
    for (const auto& m : all) seen_ = std::max<int64_t>(seen_, m["seq"].get<int64_t>());
    return all;
  }

  static std::map<std::string, std::string> Args(const std::vector<std::string>& t, size_t from) {
    std::map<std::string, std::string> out;
    for (size_t i = from; i < t.size(); ++i) {
      // "name=value", or "name~text" (kept as key "name~": contains).
      auto eq = t[i].find_first_of("=~");
      if (eq == std::string::npos) continue;
      std::string key = t[i].substr(0, eq + (t[i][eq] == '~'));
      out[key] = t[i].substr(eq + 1);
    }
    return out;
  }

  void Expect(const std::vector<std::string>& t) {
    const std::string& what = t.at(1);
    if (what == "emails") {
      pending_ = NewMessages();
      EXPECT_EQ(pending_.size(), std::stoul(t.at(2))) << pending_.dump(1).substr(0, 2000);
    } else if (what == "email") {
      if (pending_.empty()) pending_ = NewMessages();
      auto a = Args(t, 2);
      bool found = false;
      for (auto it = pending_.begin(); it != pending_.end() && !found; ++it) {
        const json& m = *it;
        auto has = [&](const char* key, const std::string& field) {
          return !a.contains(key) ||
                 (m[field].is_string() && m[field].get<std::string>().find(a[key]) != std::string::npos);
        };
        bool to_ok = !a.contains("to");
        for (const auto& r : m["rcpt_tos"]) to_ok |= r.get<std::string>() == a["to"];
        bool att_ok = !a.contains("attachments") ||
                      m["attachments"].size() == std::stoul(a["attachments"]);
        if (to_ok && att_ok && has("subject~", "subject") && has("body~", "text") &&
            has("cc~", "cc")) {
          found = true;
          pending_.erase(it);
        }
      }
      EXPECT_TRUE(found) << "no e-mail matches; new ones: " << pending_.dump(1).substr(0, 3000);
    } else if (what == "actions") {
      auto a = Args(t, 2);
      store::ListQuery q;
      q.limit = 1000;
      using Op = store::Condition::Op;
      if (a.contains("status")) q.conditions.push_back({"status", Op::kEq, a["status"]});
      if (a.contains("category")) q.conditions.push_back({"category", Op::kEq, a["category"]});
      if (a.contains("step")) q.conditions.push_back({"step_id", Op::kEq, Resolve(a["step"])});
      if (a.contains("invoice")) {
        q.conditions.push_back({"invoice_id", Op::kEq, Resolve(a["invoice"])});
      }
      if (a.contains("channel")) q.conditions.push_back({"channel", Op::kEq, a["channel"]});
      services::RecordService<domain::Action> svc(*ctx_);
      auto page = svc.List(who_, q);
      ASSERT_TRUE(page.ok());
      ExpectCount(page->items, a);
    } else if (what == "todo") {
      auto page = TodoService(*ctx_).List(who_, TodoFilter{});
      ASSERT_TRUE(page.ok()) << page.error().ToString();
      ExpectCount(page->items, Args(t, 2));
    } else if (what == "sms" || what == "letters") {
      httplib::Client& c = what == "sms" ? sms_control_ : postal_control_;
      const char* path = what == "sms" ? "/_control/messages" : "/_control/letters";
      auto r = c.Get(path);
      ASSERT_TRUE(r && r->status == 200) << path;
      json all = json::parse(r->body);
      if (all.is_object()) all = all.contains("messages") ? all["messages"] : all["letters"];
      size_t& seen = what == "sms" ? sms_seen_ : letters_seen_;
      json fresh = json::array();
      for (size_t i = seen; i < all.size(); ++i) fresh.push_back(all[i]);
      seen = all.size();
      EXPECT_EQ(fresh.size(), std::stoul(t.at(2))) << fresh.dump(1).substr(0, 2000);
      auto a = Args(t, 3);
      for (const auto& m : fresh) {
        const std::string text = m.dump();
        for (const auto& [k, v] : a) {
          EXPECT_NE(text.find(v), std::string::npos) << k << " " << v << " not in " << text.substr(0, 1500);
        }
      }
    } else if (what == "invoice") {
      services::RecordService<domain::Invoice> svc(*ctx_);
      auto inv = svc.Get(who_, Resolve(t.at(2)));
      ASSERT_TRUE(inv.ok());
      auto a = Args(t, 3);
      EXPECT_EQ(inv->to_send ? "true" : "false", a["to_send"]);
    } else {
      FAIL() << "unknown expectation " << what;
    }
  }

  // `count=N` actions, of those whose last_error contains `error~` if given.
  static void ExpectCount(const std::vector<domain::Action>& items,
                          std::map<std::string, std::string> a) {
    std::string seen;
    size_t n = 0;
    for (const auto& x : items) {
      seen += x.dedupe_key + " " + x.status + " " + x.last_error.value_or("") + "\n";
      n += !a.contains("error~") || x.last_error.value_or("").find(a["error~"]) != std::string::npos;
    }
    EXPECT_EQ(n, std::stoul(a["count"])) << seen;
  }

  FakeClock clock_{*ParseTimestamp("2026-03-02T08:00:00Z")};
  std::unique_ptr<test::TestDatabase> db_;
  std::unique_ptr<services::Context> ctx_;
  services::Principal who_;
  static constexpr const char* kSmsAccount = "AC00000000000000000000000000000001";
  httplib::Client control_;
  httplib::Client sms_control_;
  httplib::Client postal_control_;
  delivery::SmtpEmailSender smtp_;
  delivery::TwilioSmsSender sms_;
  delivery::PostalApiLetterSender letters_;
  size_t sms_seen_ = 0, letters_seen_ = 0;
  CrashingSender crashing_;
  std::map<std::string, std::string> names_, kinds_;
  int64_t seen_ = 0;
  json pending_ = json::array();
};

}  // namespace

void RunScenario(const std::string& path, const std::string& backend, const Servers& servers) {
  std::ifstream in(path);
  ASSERT_TRUE(in) << "cannot read " << path;
  Runner runner(backend, servers);
  if (!runner.ready()) return;  // the backend is not available (skipped by TestDatabase)
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto hash = line.find('#');
    if (hash != std::string::npos) line = line.substr(0, hash);
    auto tokens = Tokens(line);
    if (tokens.empty()) continue;
    SCOPED_TRACE(path.substr(path.rfind('/') + 1) + ":" + std::to_string(number) + ": " + line);
    runner.Line(tokens, line);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace relance::dunning::testing
