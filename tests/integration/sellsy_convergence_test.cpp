// R-SELLSY-1..9, issue 5's convergence test: the real `relance serve`
// synced with the Sellsy emulator through its webhooks while thousands of
// random creates, updates, allocations and deletes happen there, with
// deliveries dropped, duplicated and reordered, and the server killed
// (SIGKILL) and restarted in the middle. After the deliveries settle and a
// catch-up resync, Relance's data must equal the emulator's under the
// mapping rules, with no record twice.
#include <gtest/gtest.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "core/money.h"
#include "domain/entity_spec.h"
#include "integration/subprocess.h"
#include "store/db.h"
#include "store/record_repository.h"

namespace relance::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kSecretKey[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

// A port free now (bound to 0, read back, closed): the server is restarted
// on the same one, since Sellsy keeps the webhook URL it was given.
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

int64_t Minor(const std::string& decimal) {
  auto eur = Currency::Parse("EUR");
  auto v = ParseDecimalToMinor(decimal, *eur);
  EXPECT_TRUE(v.ok()) << decimal;
  return v.ok() ? *v : -1;
}

class SellsyConvergenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("relance-sellsy-conv-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "relance.db").string();
    emulator_ = Subprocess::Start({"/usr/bin/python3",
                                   std::string(RELANCE_SOURCE_TREE) +
                                       "/tests/emulators/sellsy/sellsy_emulator.py",
                                   "--port", "0", "--rate-limit", "0"});
    ASSERT_TRUE(emulator_);
    auto line = emulator_->WaitForStdoutLine("listening on", 30s);
    ASSERT_TRUE(line) << emulator_->err();
    std::smatch m;
    ASSERT_TRUE(std::regex_search(*line, m, std::regex(":([0-9]+)")));
    emulator_port_ = std::stoi(m[1]);
    port_ = FreePort();
  }

  void TearDown() override {
    if (server_) {
      server_->Signal(SIGTERM);
      server_->Wait(30s);
    }
    if (emulator_) {
      emulator_->Signal(SIGTERM);
      emulator_->Wait(10s);
    }
    // Kept after a failure, for the change log in its database.
    if (!HasFailure()) fs::remove_all(dir_);
    else std::cerr << "convergence: the database stays in " << dir_ << "\n";
  }

  std::vector<std::string> Env() const {
    return {std::string("RELANCE_SECRET_KEY=") + kSecretKey,
            "RELANCE_SELLSY_CLIENT_SECRET=relance-test-secret", "RELANCE_PASSWORD=correct horse battery"};
  }

  std::string Cli(std::vector<std::string> args) {
    args.insert(args.begin(), RELANCE_BINARY);
    args.push_back("--db");
    args.push_back(db_);
    auto r = RunProcess(args, Env(), "", 120s);
    EXPECT_EQ(r.exit_code, 0) << args[1] << ": " << r.out << r.err;
    std::string out = r.out;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }

  void Serve() {
    server_ = Subprocess::Start({RELANCE_BINARY, "serve", "--db", db_, "--host", "127.0.0.1",
                                 "--port", std::to_string(port_), "--no-dunning", "--data-dir",
                                 (dir_ / "data").string(), "--log-level", "warn", "--public-url",
                                 "http://127.0.0.1:" + std::to_string(port_)},
                                Env());
    ASSERT_TRUE(server_);
    ASSERT_TRUE(server_->WaitForStdoutLine("Relance is serving", 60s)) << server_->err();
  }

  void Kill() {
    server_->Signal(SIGKILL);
    server_->Wait(30s);
    server_.reset();
  }

  json Emulator(const std::string& method, const std::string& path, const json& body = nullptr) {
    httplib::Client c("127.0.0.1", emulator_port_);
    c.set_read_timeout(60, 0);
    std::string text = body.is_null() ? "" : body.dump();
    httplib::Result r = method == "GET"     ? c.Get(path)
                        : method == "POST"  ? c.Post(path, text, "application/json")
                        : method == "PATCH" ? c.Patch(path, text, "application/json")
                        : method == "PUT"   ? c.Put(path, text, "application/json")
                                            : c.Delete(path, text, "application/json");
    if (!r) {
      ADD_FAILURE() << method << " " << path << ": no answer";
      return nullptr;
    }
    last_status_ = r->status;
    return json::parse(r->body, nullptr, false);
  }

  json Api(const std::string& method, const std::string& path) {
    last_status_ = 0;
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    c.set_default_headers({{"Authorization", "Bearer " + token_}});
    auto r = method == "GET" ? c.Get(path) : c.Post(path, "{}", "application/json");
    if (!r) return nullptr;
    last_status_ = r->status;
    return json::parse(r->body, nullptr, false);
  }

  template <typename T>
  std::vector<T> Stored() {
    auto db = store::OpenDatabase(db_, 1);
    EXPECT_TRUE(db.ok());
    auto c = (*db)->Acquire();
    store::RecordRepository<T> repo(domain::SpecOf<T>());
    auto all = repo.FindAll(**c, org_, {});
    EXPECT_TRUE(all.ok());
    return all.ok() ? *all : std::vector<T>{};
  }

  // One random change in the emulator, through its control API (which
  // fires the webhooks a real change would).
  void RandomChange(std::mt19937& rng, int i) {
    auto pick = [&](std::vector<int64_t>& ids) -> int64_t {
      if (ids.empty()) return 0;
      return ids[std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng)];
    };
    int what = std::uniform_int_distribution<int>(0, 99)(rng);
    std::string n = std::to_string(i);
    if (what < 12) {
      auto c = Emulator("POST", "/_control/objects/companies",
                        {{"type", what < 10 ? "client" : "prospect"}, {"name", "Société " + n}});
      if (c.is_object() && c.contains("id")) companies_.push_back(c["id"]);
    } else if (what < 30) {
      int64_t id = pick(companies_);
      if (id) Emulator("PATCH", "/_control/objects/companies/" + std::to_string(id), {{"name", "Renommée " + n}});
    } else if (what < 42) {
      int64_t company = pick(companies_);
      auto ct = Emulator("POST", "/_control/objects/contacts",
                         {{"last_name", "Contact " + n}, {"email", "c" + n + "@conv.example"}});
      if (company && ct.is_object() && ct.contains("id")) {
        contacts_.push_back(ct["id"]);
        json roles = what < 36 ? json::array() : json::array({"main"});
        Emulator("POST", "/_control/links",
                 {{"party", {{"type", "company"}, {"id", company}}}, {"contact_id", ct["id"]}, {"roles", roles}});
      }
    } else if (what < 50) {
      int64_t id = pick(contacts_);
      if (id) Emulator("PATCH", "/_control/objects/contacts/" + std::to_string(id), {{"email", "new" + n + "@conv.example"}});
    } else if (what < 54) {
      int64_t id = pick(contacts_);
      if (id) {
        Emulator("DELETE", "/_control/objects/contacts/" + std::to_string(id));
        contacts_.erase(std::find(contacts_.begin(), contacts_.end(), id));
      }
    } else if (what < 74) {
      int64_t company = pick(companies_);
      if (!company) return;
      int day = std::uniform_int_distribution<int>(1, 28)(rng);
      int year = std::uniform_int_distribution<int>(2017, 2026)(rng);
      auto inv = Emulator("POST", "/_control/objects/invoices",
                          {{"related", {{{"type", "company"}, {"id", company}}}},
                           {"date", std::to_string(year) + "-03-" + (day < 10 ? "0" : "") + std::to_string(day)},
                           {"status", "due"},
                           {"rows", {{{"type", "single"}, {"unit_amount", std::to_string(100 + i) + ".25"},
                                      {"quantity", "1"}, {"tax_id", 1}}}}});
      if (inv.is_object() && inv.contains("id")) invoices_.push_back({inv["id"], company});
    } else if (what < 90) {
      if (invoices_.empty()) return;
      auto [invoice, company] = invoices_[std::uniform_int_distribution<size_t>(0, invoices_.size() - 1)(rng)];
      auto pay = Emulator("POST", "/_control/objects/payments",
                          {{"related", {{"type", "company"}, {"id", company}}},
                           {"paid_at", "2026-06-01T10:00:00+02:00"}, {"payment_method_id", 2},
                           {"type", "credit"}, {"amount", {{"value", "30.00"}, {"currency", "EUR"}}}});
      if (pay.is_object() && pay.contains("id")) {
        Emulator("POST", "/_control/allocations",
                 {{"invoice_id", invoice}, {"payment_id", pay["id"]}, {"amount", "30.00"}});
      }
    } else if (what < 95) {
      if (invoices_.empty()) return;
      size_t k = std::uniform_int_distribution<size_t>(0, invoices_.size() - 1)(rng);
      Emulator("DELETE", "/_control/objects/invoices/" + std::to_string(invoices_[k].first));
      invoices_.erase(invoices_.begin() + static_cast<long>(k));
    } else {
      int64_t id = pick(companies_);
      if (!id) return;
      Emulator("DELETE", "/_control/objects/companies/" + std::to_string(id));
      if (last_status_ == 204) companies_.erase(std::find(companies_.begin(), companies_.end(), id));
    }
  }

  fs::path dir_;
  std::string db_;
  std::unique_ptr<Subprocess> emulator_;
  std::unique_ptr<Subprocess> server_;
  int emulator_port_ = 0;
  int port_ = 0;
  int last_status_ = 0;
  std::string org_;
  std::string token_;
  std::vector<int64_t> companies_;
  std::vector<int64_t> contacts_;
  std::vector<std::pair<int64_t, int64_t>> invoices_;  // (invoice, company)
};

TEST_F(SellsyConvergenceTest, RelanceConvergesToSellsyThroughLostDuplicatedReorderedWebhooksAndAKill) {
  // Data already there before the connection: the backfill's part.
  Emulator("POST", "/_control/generate",
           {{"companies", 40}, {"individuals", 8}, {"contacts", 60}, {"invoices", 200},
            {"credit_notes", 10}, {"payments", 100}, {"seed", 7}, {"start_date", "2017-01-01"}});
  json data = Emulator("GET", "/_control/data?only=companies");
  for (const auto& c : data["companies"]) companies_.push_back(c["id"]);

  org_ = Cli({"org", "create", "--name", "Convergence"});
  std::string user = Cli({"user", "create", "--org", org_, "--email", "admin@conv.example",
                          "--name", "Admin", "--role", "ADMIN"});
  token_ = Cli({"token", "create", "--org", org_, "--user", user, "--name", "convergence"});
  std::string base = "http://127.0.0.1:" + std::to_string(emulator_port_);
  std::string connected = Cli({"connect", "sellsy", "--org", org_, "--name", "Sellsy", "--api-url",
                               base + "/v2", "--token-url", base + "/oauth2/access-tokens",
                               "--client-id", "relance-test-client", "--public-url",
                               "http://127.0.0.1:" + std::to_string(port_), "--backfill"});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(connected, m, std::regex("(con_[0-9A-Za-z]+)"))) << connected;
  std::string connection = m[1];

  std::cerr << "convergence: connected " << connection << "\n";
  ASSERT_NO_FATAL_FAILURE(Serve());
  {
    json probe = Api("GET", "/api/v1/connections/" + connection);
    std::cerr << "convergence: serving; connection " << last_status_ << " " << probe.dump() << "\n";
  }
  Emulator("PUT", "/_control/deliveries",
           {{"drop", 0.1}, {"duplicate", 0.2}, {"reorder_ms", 300}, {"seed", 11}, {"max_attempts", 2},
            {"retry_backoff_ms", 100}});
  std::mt19937 rng(20261202);
  // Thousands by default (issue 5); fewer when debugging.
  const char* changes_env = std::getenv("RELANCE_CONVERGENCE_CHANGES");
  const int kChanges = changes_env ? std::atoi(changes_env) : 1500;
  for (int i = 0; i < kChanges; ++i) {
    if (i == kChanges / 2) Kill();                       // deliveries now fail, some are lost
    if (i == kChanges / 2 + kChanges / 5) {
      ASSERT_NO_FATAL_FAILURE(Serve());
    }
    RandomChange(rng, i);
  }
  std::cerr << "convergence: " << kChanges << " changes made\n";
  Emulator("POST", "/_control/deliveries/wait", {{"timeout_ms", 60000}});
  std::cerr << "convergence: deliveries settled\n";

  // The periodic catch-up, asked for now: a full resync covers what was lost.
  json asked = Api("POST", "/api/v1/connections/" + connection + "/backfill");
  ASSERT_TRUE(last_status_ == 200 || last_status_ == 202)
      << asked.dump() << "\nserver: " << (server_ ? server_->err() : std::string("not running"));
  json status;
  for (int i = 0; i < 900; ++i) {  // a killed runner's lease expires first (30 s)
    status = Api("GET", "/api/v1/connections/" + connection);
    if (status.is_object() && status.value("backfill_requested", true) == false &&
        status.value("backlog", 1) == 0 && status.value("status", "") == "OK") {
      break;
    }
    std::this_thread::sleep_for(200ms);
  }
  ASSERT_EQ(status.value("backfill_requested", true), false) << status.dump();
  ASSERT_EQ(status.value("status", ""), "OK") << status.dump();

  // What Relance must hold, from the emulator's data and the mapping rules.
  json source = Emulator("GET", "/_control/data");
  std::map<std::string, std::string> customers;  // external id -> name
  auto party_key = [](const std::string& type, int64_t id) {
    return (type == "company" ? "company/" : "individual/") + std::to_string(id);
  };
  for (const auto& c : source["companies"]) {
    if (c["type"] == "supplier") continue;
    customers[party_key("company", c["id"])] = c["name"];
  }
  for (const auto& c : source["individuals"]) {
    if (c["type"] == "supplier") continue;
    std::string name = c["first_name"].is_string() ? c["first_name"].get<std::string>() + " " : "";
    customers[party_key("individual", c["id"])] = name + c["last_name"].get<std::string>();
  }
  std::map<std::string, int64_t> invoices;  // external id -> gross
  std::set<std::string> void_invoices;
  for (const auto& i : source["invoices"]) {
    // Drafts, and drafts cancelled before they got a number, are not invoices yet.
    if (i["status"] == "draft" || i["number"].is_null() ||
        i["date"].get<std::string>() < "2018-01-01") {
      continue;
    }
    std::string party;
    for (const auto& r : i["related"]) {
      if (r["type"] == "company" || r["type"] == "individual") party = party_key(r["type"], r["id"]);
    }
    if (!customers.count(party)) continue;
    std::string ext = "invoice/" + std::to_string(i["id"].get<int64_t>());
    invoices[ext] = Minor(i["amounts"]["total_incl_tax"]);
    if (i["status"] == "cancelled") void_invoices.insert(ext);
  }
  std::set<std::string> contacts;
  std::set<int64_t> linked;
  for (const auto& l : source["contact_links"]) {
    if (customers.count(party_key(l["party"]["type"], l["party"]["id"]))) {
      linked.insert(l["contact_id"].get<int64_t>());
    }
  }
  std::map<int64_t, std::string> emails;
  for (const auto& c : source["contacts"]) {
    if (linked.count(c["id"]) && c["email"].is_string()) {
      contacts.insert("contact/" + std::to_string(c["id"].get<int64_t>()));
      emails[c["id"]] = c["email"];
    }
  }

  // What Relance holds.
  auto stored_customers = Stored<domain::Customer>();
  std::map<std::string, std::string> got_customers;
  for (const auto& c : stored_customers) {
    ASSERT_TRUE(c.external_id) << c.meta.id;
    EXPECT_TRUE(got_customers.emplace(*c.external_id, c.name).second) << "twice: " << *c.external_id;
  }
  EXPECT_EQ(got_customers, customers);

  std::set<std::string> got_contacts;
  for (const auto& c : Stored<domain::Contact>()) {
    ASSERT_TRUE(c.external_id);
    EXPECT_TRUE(got_contacts.insert(*c.external_id).second) << "twice: " << *c.external_id;
    int64_t id = std::stoll(c.external_id->substr(8));
    EXPECT_EQ(c.email, emails[id]) << *c.external_id;
  }
  EXPECT_EQ(got_contacts, contacts);

  std::map<std::string, int64_t> got_invoices;
  for (const auto& i : Stored<domain::Invoice>()) {
    if (i.kind != "INVOICE") continue;
    ASSERT_TRUE(i.external_id);
    // Invoices deleted in Sellsy are kept, void (DeletionPolicy::kMarkDeleted).
    if (!invoices.count(*i.external_id)) {
      EXPECT_TRUE(i.is_void) << *i.external_id << " is gone from Sellsy but not void";
      continue;
    }
    EXPECT_TRUE(got_invoices.emplace(*i.external_id, i.gross_amount).second) << "twice: " << *i.external_id;
    EXPECT_EQ(i.is_void, void_invoices.count(*i.external_id) > 0) << *i.external_id;
  }
  EXPECT_EQ(got_invoices, invoices);

  // R-SELLSY-6: the money of payments allocated to invoices, on those invoices.
  std::map<std::string, int64_t> paid;  // invoice external id -> allocated by payments
  for (const auto& a : source["allocations"]) {
    if (a["source"]["type"] != "payment") continue;
    std::string ext = "invoice/" + std::to_string(a["invoice_id"].get<int64_t>());
    if (invoices.count(ext)) paid[ext] += Minor(a["amount"]);
  }
  std::map<std::string, std::string> invoice_ext_by_id;
  for (const auto& i : Stored<domain::Invoice>()) invoice_ext_by_id[i.meta.id] = i.external_id.value_or("");
  std::map<std::string, int64_t> got_paid;
  for (const auto& a : Stored<domain::Allocation>()) {
    if (a.source_type == "PAYMENT") got_paid[invoice_ext_by_id[a.invoice_id]] += a.amount;
  }
  EXPECT_EQ(got_paid, paid);
}

}  // namespace
}  // namespace relance::test
