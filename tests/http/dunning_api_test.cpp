// Dunning over HTTP (SPEC §3, §4): the steps of a plan and their template
// checks, a step's preview for a real customer, the to-do list and its verbs
// on actions the planner decided, "mark as sent", the planner's dry run.
#include "core/ids.h"
#include "dunning/planning_service.h"
#include "http/http_test_support.h"

namespace relance::http::test {
namespace {

class DunningApiTest : public HttpTest {
 protected:
  json MakePlan(const std::string& name, const std::string& level, const Caller& who) {
    Response r = Post("/api/v1/dunning-plans", {{"name", name}, {"level", level}}, who);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json_body;
  }
  json MakeStep(json fields, const Caller& who) {
    Response r = Post("/api/v1/dunning-steps", fields, who);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json_body;
  }

  // A customer-level plan with a manual call at the due date, a customer
  // following it and one invoice overdue since 2026-02-01 (the clock says
  // 2026-03-10); the planner then decides one TODO call.
  struct Scenario {
    std::string plan_id, step_id, customer_id, invoice_id;
  };
  Scenario CallScenario(const Caller& who, const std::string& customer_name = "Dupont SARL") {
    Scenario s;
    s.plan_id = MakePlan("Appels " + customer_name, "CUSTOMER", who)["id"];
    s.step_id = MakeStep({{"plan_id", s.plan_id},
                          {"name", "Appel"},
                          {"channel", "CALL"},
                          {"mode", "MANUAL"},
                          {"offset_days", 0}},
                         who)["id"];
    s.customer_id =
        MakeCustomer({{"name", customer_name}, {"dunning_plan_id", s.plan_id}}, who)["id"];
    Response inv = Post("/api/v1/invoices",
                        {{"customer_id", s.customer_id},
                         {"number", "FA-" + customer_name.substr(0, 3)},
                         {"gross_amount", 120000},
                         {"net_amount", 100000},
                         {"tax_amount", 20000},
                         {"issue_date", "2026-01-02"},
                         {"printed_due_date", "2026-02-01"}},
                        who);
    EXPECT_EQ(inv.status, 201) << inv.body;
    s.invoice_id = inv.json_body.value("id", "");
    return s;
  }

  // Runs the planner for real (stores what it decides).
  int64_t Plan(const Caller& who) {
    dunning::PlanningService planning(*ctx_);
    auto report = planning.Plan(who.org_id, clock_.Now());
    EXPECT_TRUE(report.ok()) << report.error().ToString();
    return report.ok() ? report->stored : -1;
  }

  json OnlyTodo(const Caller& who) {
    Response todo = Get("/api/v1/todo", who);
    EXPECT_EQ(todo.status, 200) << todo.body;
    EXPECT_EQ(todo.json_body["data"].size(), 1u) << todo.body;
    return todo.json_body["data"].empty() ? json::object() : todo.json_body["data"][0];
  }
};

// R-DUN-1: steps through the generic record routes, with the spec's filters.
TEST_P(DunningApiTest, StepsCrud) {
  std::string plan = MakePlan("Standard", "CUSTOMER", admin_)["id"];
  json step = MakeStep({{"plan_id", plan},
                        {"name", "Premier rappel"},
                        {"channel", "EMAIL"},
                        {"offset_days", 3},
                        {"to_positions", "ACCOUNTING"},
                        {"cc_positions", "SALES"},
                        {"template_key", "reminder_1"}},
                       admin_);
  std::string id = step["id"];
  EXPECT_TRUE(IsValidId(id, kDunningStepPrefix)) << id;
  EXPECT_EQ(step["mode"], "AUTOMATIC");
  EXPECT_EQ(step["kind"], "REMINDER");
  MakeStep({{"plan_id", plan},
            {"name", "Appel"},
            {"channel", "CALL"},
            {"mode", "MANUAL"},
            {"offset_days", 10}},
           admin_);

  EXPECT_EQ(Count("/api/v1/dunning-steps?plan_id=" + plan, admin_), 2u);
  EXPECT_EQ(Count("/api/v1/dunning-steps?channel=CALL", admin_), 1u);
  EXPECT_EQ(Count("/api/v1/dunning-steps?kind=INVOICING", admin_), 0u);
  Response bad_filter = Get("/api/v1/dunning-steps?channel=FAX", admin_);
  EXPECT_EQ(bad_filter.status, 422);
  EXPECT_NE(bad_filter.DetailFor("channel"), "");

  Response got = Get("/api/v1/dunning-steps/" + id, admin_);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.json_body["name"], "Premier rappel");
  Response changed = Patch("/api/v1/dunning-steps/" + id,
                           {{"offset_days", 5}, {"subject", "Rappel {{invoice.number}}"}}, admin_);
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(changed.json_body["offset_days"], 5);

  // Another organization sees none of it (R-CORE-1).
  Caller other = NewOrg("Other");
  EXPECT_EQ(Get("/api/v1/dunning-steps/" + id, other).status, 404);
  EXPECT_EQ(Count("/api/v1/dunning-steps", other), 0u);

  EXPECT_EQ(Delete("/api/v1/dunning-steps/" + id, admin_).status, 204);
  EXPECT_EQ(Get("/api/v1/dunning-steps/" + id, admin_).status, 404);
}

// R-DUN-1, R-SEND-4, R-SEND-5: the rules of a step, each error naming its field.
TEST_P(DunningApiTest, StepValidationErrorsNameTheField) {
  std::string customer_plan = MakePlan("Clients", "CUSTOMER", admin_)["id"];
  std::string invoice_plan = MakePlan("Factures", "INVOICE", admin_)["id"];

  Response call_auto =
      Post("/api/v1/dunning-steps",
           {{"plan_id", customer_plan}, {"channel", "CALL"}, {"mode", "AUTOMATIC"}}, admin_);
  EXPECT_EQ(call_auto.status, 422) << call_auto.body;
  EXPECT_NE(call_auto.DetailFor("mode"), "") << call_auto.body;

  // R-SEND-4: only customer-level plans carry invoicing steps.
  Response invoicing = Post("/api/v1/dunning-steps",
                            {{"plan_id", invoice_plan},
                             {"kind", "INVOICING"},
                             {"channel", "EMAIL"},
                             {"relative_to", "ISSUE_DATE"}},
                            admin_);
  EXPECT_EQ(invoicing.status, 422) << invoicing.body;
  EXPECT_NE(invoicing.DetailFor("kind"), "") << invoicing.body;
  Response ok_invoicing = Post("/api/v1/dunning-steps",
                               {{"plan_id", customer_plan},
                                {"kind", "INVOICING"},
                                {"channel", "EMAIL"},
                                {"relative_to", "ISSUE_DATE"}},
                               admin_);
  EXPECT_EQ(ok_invoicing.status, 201) << ok_invoicing.body;

  Response position =
      Post("/api/v1/dunning-steps",
           {{"plan_id", customer_plan}, {"to_positions", "ACCOUNTING,BOSS"}}, admin_);
  EXPECT_EQ(position.status, 422) << position.body;
  EXPECT_NE(position.DetailFor("to_positions").find("BOSS"), std::string::npos) << position.body;

  Response no_plan = Post("/api/v1/dunning-steps", {{"channel", "EMAIL"}}, admin_);
  EXPECT_EQ(no_plan.status, 422);
  EXPECT_NE(no_plan.DetailFor("plan_id"), "");

  // R-DUN-3: templates are checked when saved, on create and on update.
  Response typo = Post("/api/v1/dunning-steps",
                       {{"plan_id", customer_plan},
                        {"subject", "Relance"},
                        {"body", "<p>Bonjour,</p>\n<p>{{customer.nme}} doit</p>"}},
                       admin_);
  EXPECT_EQ(typo.status, 422) << typo.body;
  EXPECT_NE(typo.DetailFor("body").find("customer.nme"), std::string::npos) << typo.body;
  Response tag = Post("/api/v1/dunning-steps",
                      {{"plan_id", customer_plan}, {"body", "<script>x</script>"}}, admin_);
  EXPECT_EQ(tag.status, 422) << tag.body;
  EXPECT_NE(tag.DetailFor("body"), "") << tag.body;
  std::string id = MakeStep({{"plan_id", customer_plan},
                             {"channel", "SMS"},
                             {"body", "{{customer.name}}: {{total_overdue}} en retard"}},
                            admin_)["id"];
  Response bad_update =
      Patch("/api/v1/dunning-steps/" + id, {{"body", "{{#overdue_invoices}}{{number}}"}}, admin_);
  EXPECT_EQ(bad_update.status, 422) << bad_update.body;
  EXPECT_NE(bad_update.DetailFor("body"), "") << bad_update.body;
  Response bad_subject =
      Patch("/api/v1/dunning-steps/" + id, {{"subject", "{{invoice.numbr}}"}}, admin_);
  EXPECT_EQ(bad_subject.status, 422) << bad_subject.body;
  EXPECT_NE(bad_subject.DetailFor("subject"), "") << bad_subject.body;
  EXPECT_EQ(Count("/api/v1/dunning-steps", admin_), 2u);  // nothing half-written
}

// R-DUN-3: the preview renders the step's template with a real customer's data.
TEST_P(DunningApiTest, PreviewRendersTheMessageForARealCustomer) {
  std::string plan = MakePlan("Standard", "CUSTOMER", admin_)["id"];
  std::string step = MakeStep({{"plan_id", plan},
                               {"name", "Rappel"},
                               {"channel", "EMAIL"},
                               {"to_positions", "ACCOUNTING"},
                               {"subject", "Relance {{customer.name}}"},
                               {"body",
                                "<p>Bonjour {{contact.first_name}}, pour {{customer.name}} :</p>\n"
                                "<p>{{#overdue_invoices}}{{number}} {{/overdue_invoices}}</p>"}},
                              admin_)["id"];
  std::string customer = MakeCustomer({{"name", "Dupont & Fils"}}, admin_)["id"];
  ASSERT_EQ(Post("/api/v1/contacts",
                 {{"customer_id", customer},
                  {"email", "compta@dupont.test"},
                  {"first_name", "Claire"},
                  {"position", "ACCOUNTING"}},
                 admin_)
                .status,
            201);
  std::string invoice = MakeInvoice(customer, "FA-2026-007", 50000, "2026-01-05",
                                    {{"printed_due_date", "2026-02-05"}})["id"];

  Response p =
      Post("/api/v1/dunning-steps/" + step + "/preview", {{"customer_id", customer}}, admin_);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.json_body["subject"], "Relance Dupont & Fils");
  EXPECT_NE(p.json_body["html"].get<std::string>().find("Claire"), std::string::npos) << p.body;
  EXPECT_NE(p.json_body["html"].get<std::string>().find("Dupont &amp; Fils"), std::string::npos)
      << "values are escaped in HTML: " << p.body;
  EXPECT_NE(p.json_body["text"].get<std::string>().find("FA-2026-007"), std::string::npos)
      << p.body;
  EXPECT_EQ(p.json_body["contact_email"], "compta@dupont.test");

  Response with_invoice = Post("/api/v1/dunning-steps/" + step + "/preview",
                               {{"customer_id", customer}, {"invoice_id", invoice}}, admin_);
  EXPECT_EQ(with_invoice.status, 200) << with_invoice.body;

  // Another organization's customer is not found (R-CORE-1); so is its step.
  Caller other = NewOrg("Other");
  std::string foreign = MakeCustomer({{"name", "Foreign"}}, other)["id"];
  EXPECT_EQ(
      Post("/api/v1/dunning-steps/" + step + "/preview", {{"customer_id", foreign}}, admin_).status,
      404);
  EXPECT_EQ(
      Post("/api/v1/dunning-steps/" + step + "/preview", {{"customer_id", customer}}, other).status,
      404);
  Response missing = Post("/api/v1/dunning-steps/" + step + "/preview", json::object(), admin_);
  EXPECT_EQ(missing.status, 422);
  EXPECT_NE(missing.DetailFor("customer_id"), "");
  Response unknown = Post("/api/v1/dunning-steps/" + step + "/preview",
                          {{"customer_id", customer}, {"contact", "x"}}, admin_);
  EXPECT_EQ(unknown.status, 422);
  EXPECT_NE(unknown.DetailFor("contact"), "");

  // A template that renders badly for this customer: a link with no address
  // (the invoice has no PDF) is a 422 with the renderer's message.
  std::string link = MakeStep({{"plan_id", plan},
                               {"channel", "EMAIL"},
                               {"subject", "Facture"},
                               {"body", "<p><a href=\"{{invoice.pdf_url}}\">PDF</a></p>"}},
                              admin_)["id"];
  Response broken = Post("/api/v1/dunning-steps/" + link + "/preview",
                         {{"customer_id", customer}, {"invoice_id", invoice}}, admin_);
  EXPECT_EQ(broken.status, 422) << broken.body;
  EXPECT_FALSE(broken.json_body["error"]["message"].get<std::string>().empty());
  // A read-only user may preview: nothing is written.
  Caller reader = NewUser(admin_.org_id, "READ_ONLY");
  EXPECT_EQ(Post("/api/v1/dunning-steps/" + step + "/preview", {{"customer_id", customer}}, reader)
                .status,
            200);
}

TEST_P(DunningApiTest, PlaceholdersAreListed) {
  Response r = Get("/api/v1/dunning/placeholders", admin_);
  ASSERT_EQ(r.status, 200);
  bool found = false;
  for (const auto& p : r.json_body["data"]) {
    found = found || p["name"] == "customer.name";
    EXPECT_FALSE(p["description"].get<std::string>().empty());
  }
  EXPECT_TRUE(found) << r.body;
}

// R-DUN-6: the to-do list and its verbs on an action the planner decided.
TEST_P(DunningApiTest, TodoVerbsOnAPlannedCall) {
  Scenario s = CallScenario(admin_);
  ASSERT_EQ(Plan(admin_), 1);
  json action = OnlyTodo(admin_);
  std::string id = action["id"];
  EXPECT_EQ(action["status"], "TODO");
  EXPECT_EQ(action["category"], "CALL");
  EXPECT_EQ(action["customer_id"], s.customer_id);
  EXPECT_EQ(action["invoice_id"], s.invoice_id);
  EXPECT_EQ(Count("/api/v1/todo?category=CALL", admin_), 1u);
  EXPECT_EQ(Count("/api/v1/todo?category=TASK", admin_), 0u);
  EXPECT_EQ(Count("/api/v1/todo?customer_id=" + s.customer_id, admin_), 1u);
  EXPECT_EQ(Count("/api/v1/actions?status=TODO", admin_), 1u);
  EXPECT_EQ(Get("/api/v1/actions/" + id, admin_).json_body["step_id"], s.step_id);
  EXPECT_EQ(Get("/api/v1/todo?category=PHONE", admin_).status, 422);
  EXPECT_EQ(Get("/api/v1/todo?status=TODO,NOPE", admin_).status, 422);
  EXPECT_EQ(Get("/api/v1/todo?color=red", admin_).status, 422);

  // Reassign to a member: it is in their list now.
  Caller member = NewUser(admin_.org_id, "MEMBER");
  Response given =
      Post("/api/v1/actions/" + id + "/reassign", {{"owner_id", member.user_id}}, admin_);
  ASSERT_EQ(given.status, 200) << given.body;
  EXPECT_EQ(given.json_body["owner_id"], member.user_id);
  EXPECT_EQ(Count("/api/v1/todo?owner_id=me", member), 1u);
  EXPECT_EQ(Count("/api/v1/todo?owner_id=" + admin_.user_id, admin_), 0u);
  Response nobody = Post("/api/v1/actions/" + id + "/reassign",
                         {{"owner_id", "usr_01ABCDEFGHJKMNPQRSTVWXYZ01"}}, admin_);
  EXPECT_EQ(nobody.status, 422) << nobody.body;
  EXPECT_NE(nobody.DetailFor("owner_id"), "");

  // Reschedule: RFC 3339, or a day meaning the send hour (09:00 Paris = 08:00Z in March).
  Response later = Post("/api/v1/actions/" + id + "/reschedule",
                        {{"due_at", "2026-03-12T14:30:00+01:00"}}, member);
  ASSERT_EQ(later.status, 200) << later.body;
  EXPECT_EQ(later.json_body["due_at"], "2026-03-12T13:30:00.000000Z");
  Response day = Post("/api/v1/actions/" + id + "/reschedule", {{"due_at", "2026-03-13"}}, member);
  ASSERT_EQ(day.status, 200) << day.body;
  EXPECT_EQ(day.json_body["due_at"], "2026-03-13T08:00:00.000000Z");
  Response bad_date =
      Post("/api/v1/actions/" + id + "/reschedule", {{"due_at", "2026-02-30"}}, member);
  EXPECT_EQ(bad_date.status, 422);
  EXPECT_NE(bad_date.DetailFor("due_at"), "");
  EXPECT_EQ(Post("/api/v1/actions/" + id + "/reschedule", json::object(), member).status, 422);

  // A call is done by a person, never sent.
  EXPECT_EQ(Post("/api/v1/actions/" + id + "/send", json::object(), member).status, 422);

  // A read-only user sees the list but cannot act.
  Caller reader = NewUser(admin_.org_id, "READ_ONLY");
  EXPECT_EQ(Get("/api/v1/todo", reader).status, 200);
  EXPECT_EQ(Post("/api/v1/actions/" + id + "/done", json::object(), reader).status, 403);

  // Another organization's action is not found.
  Caller other = NewOrg("Other");
  EXPECT_EQ(Post("/api/v1/actions/" + id + "/done", json::object(), other).status, 404);
  EXPECT_EQ(Get("/api/v1/actions/" + id, other).status, 404);

  Response done = Post("/api/v1/actions/" + id + "/done", {{"note", "rappelle vendredi"}}, member);
  ASSERT_EQ(done.status, 200) << done.body;
  EXPECT_EQ(done.json_body["status"], "DONE");
  EXPECT_EQ(done.json_body["note"], "rappelle vendredi");
  EXPECT_EQ(done.json_body["done_by"], member.user_id);
  EXPECT_EQ(Count("/api/v1/todo", admin_), 0u);
  EXPECT_EQ(Count("/api/v1/todo?status=DONE", admin_), 1u);

  // A closed action is in the wrong status for every verb: 422.
  Response again = Post("/api/v1/actions/" + id + "/done", json::object(), member);
  EXPECT_EQ(again.status, 422) << again.body;
  EXPECT_EQ(again.ErrorCode(), "failed_precondition");
  EXPECT_EQ(Post("/api/v1/actions/" + id + "/ignore", json::object(), member).status, 422);
  EXPECT_EQ(
      Post("/api/v1/actions/" + id + "/reschedule", {{"due_at", "2026-03-20"}}, member).status,
      422);
  // The generic routes never write actions.
  EXPECT_EQ(Patch("/api/v1/actions/" + id, {{"status", "TODO"}}, admin_).status, 405);
  EXPECT_EQ(Post("/api/v1/actions", json::object(), admin_).status, 405);
}

// R-DUN-6: ignore one; R-SEND-10: ignore several at once, all or nothing.
TEST_P(DunningApiTest, IgnoreOneAndInBulk) {
  CallScenario(admin_, "Alpha");
  CallScenario(admin_, "Beta");
  CallScenario(admin_, "Gamma");
  ASSERT_EQ(Plan(admin_), 3);
  Response todo = Get("/api/v1/todo", admin_);
  ASSERT_EQ(todo.json_body["data"].size(), 3u);
  std::string a = todo.json_body["data"][0]["id"];
  std::string b = todo.json_body["data"][1]["id"];
  std::string c = todo.json_body["data"][2]["id"];

  Response one = Post("/api/v1/actions/" + a + "/ignore", json::object(), admin_);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json_body["status"], "IGNORED");

  // a is closed already: the whole request is refused, naming it, and b stays.
  Response mixed = Post("/api/v1/actions/ignore", {{"ids", {b, a}}}, admin_);
  EXPECT_EQ(mixed.status, 422) << mixed.body;
  EXPECT_NE(mixed.DetailFor("ids[1]"), "") << mixed.body;
  EXPECT_EQ(Get("/api/v1/actions/" + b, admin_).json_body["status"], "TODO");
  Response unknown =
      Post("/api/v1/actions/ignore", {{"ids", {b, "act_01ABCDEFGHJKMNPQRSTVWXYZ01"}}}, admin_);
  EXPECT_EQ(unknown.status, 422);
  EXPECT_NE(unknown.DetailFor("ids[1]"), "");
  EXPECT_EQ(Post("/api/v1/actions/ignore", {{"ids", json::array()}}, admin_).status, 422);
  EXPECT_EQ(Post("/api/v1/actions/ignore", {{"ids", "x"}}, admin_).status, 422);
  Response typed = Post("/api/v1/actions/ignore", {{"ids", {b, 3}}}, admin_);
  EXPECT_EQ(typed.status, 422);
  EXPECT_NE(typed.DetailFor("ids[1]"), "");
  // Another organization's actions are unknown to it.
  Caller other = NewOrg("Other");
  EXPECT_EQ(Post("/api/v1/actions/ignore", {{"ids", {b}}}, other).status, 422);

  Response bulk = Post("/api/v1/actions/ignore", {{"ids", {b, c}}}, admin_);
  ASSERT_EQ(bulk.status, 200) << bulk.body;
  EXPECT_EQ(bulk.json_body["ignored"], 2);
  EXPECT_EQ(Count("/api/v1/todo", admin_), 0u);
  EXPECT_EQ(Count("/api/v1/actions?status=IGNORED", admin_), 3u);
}

// R-SEND-1, R-SEND-10: "mark as sent" clears TO_SEND, alone or in bulk.
TEST_P(DunningApiTest, MarkAsSentSingleAndBulk) {
  ASSERT_EQ(Patch("/api/v1/organization", {{"send_invoices", true}}, admin_).status, 200);
  std::string customer = MakeCustomer({{"name", "Dupont"}}, admin_)["id"];
  json first = MakeInvoice(customer, "FA-1", 10000, "2026-03-01");
  json second = MakeInvoice(customer, "FA-2", 20000, "2026-03-02");
  json third = MakeInvoice(customer, "FA-3", 30000, "2026-03-03");
  EXPECT_EQ(first["status"], "TO_SEND");
  EXPECT_EQ(Count("/api/v1/invoices?status=TO_SEND", admin_), 3u);

  Response one = Post("/api/v1/invoices/" + first["id"].get<std::string>() + "/mark-sent",
                      json::object(), admin_);
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json_body["to_send"], false);
  EXPECT_EQ(one.json_body["status"], "NOT_DUE");
  Response twice = Post("/api/v1/invoices/" + first["id"].get<std::string>() + "/mark-sent",
                        json::object(), admin_);
  EXPECT_EQ(twice.status, 422) << twice.body;
  EXPECT_EQ(
      Post("/api/v1/invoices/inv_01ABCDEFGHJKMNPQRSTVWXYZ01/mark-sent", json::object(), admin_)
          .status,
      404);
  Caller other = NewOrg("Other");
  EXPECT_EQ(Post("/api/v1/invoices/" + second["id"].get<std::string>() + "/mark-sent",
                 json::object(), other)
                .status,
            404);

  // All or nothing: FA-1 is sent already, so FA-2 stays TO_SEND.
  std::string id2 = second["id"], id3 = third["id"];
  Response mixed =
      Post("/api/v1/invoices/mark-sent", {{"invoice_ids", {id2, first["id"]}}}, admin_);
  EXPECT_EQ(mixed.status, 422) << mixed.body;
  EXPECT_NE(mixed.DetailFor("invoice_ids[1]"), "") << mixed.body;
  EXPECT_EQ(Count("/api/v1/invoices?status=TO_SEND", admin_), 2u);
  EXPECT_EQ(Post("/api/v1/invoices/mark-sent", json::object(), admin_).status, 422);

  Response bulk = Post("/api/v1/invoices/mark-sent", {{"invoice_ids", {id2, id3}}}, admin_);
  ASSERT_EQ(bulk.status, 200) << bulk.body;
  EXPECT_EQ(bulk.json_body["marked_sent"], 2);
  EXPECT_EQ(Count("/api/v1/invoices?status=TO_SEND", admin_), 0u);
  Response again = Post("/api/v1/invoices/mark-sent", {{"invoice_ids", {id2}}}, admin_);
  EXPECT_EQ(again.status, 422) << again.body;

  Caller reader = NewUser(admin_.org_id, "READ_ONLY");
  EXPECT_EQ(Post("/api/v1/invoices/mark-sent", {{"invoice_ids", {id2}}}, reader).status, 403);
}

// R-DUN-4: the dry run lists what would be decided and writes nothing; a
// read-only user may run it.
TEST_P(DunningApiTest, PlanDryRunWritesNothing) {
  Scenario s = CallScenario(admin_);
  Caller reader = NewUser(admin_.org_id, "READ_ONLY");
  Response dry = Post("/api/v1/dunning/plan", json::object(), reader);
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_EQ(dry.json_body["decided"], 1);
  EXPECT_EQ(dry.json_body["truncated"], false);
  ASSERT_EQ(dry.json_body["actions"].size(), 1u);
  const json& a = dry.json_body["actions"][0];
  EXPECT_EQ(a["customer_id"], s.customer_id);
  EXPECT_EQ(a["invoice_id"], s.invoice_id);
  EXPECT_EQ(a["step_id"], s.step_id);
  EXPECT_EQ(a["channel"], "CALL");
  EXPECT_EQ(a["category"], "CALL");
  EXPECT_FALSE(a["dedupe_key"].get<std::string>().empty());
  EXPECT_FALSE(a["due_at"].get<std::string>().empty());
  EXPECT_EQ(Count("/api/v1/actions", admin_), 0u);

  // Before the due date nothing is due.
  Response early = Post("/api/v1/dunning/plan", {{"at", "2026-01-15T10:00:00Z"}}, admin_);
  ASSERT_EQ(early.status, 200) << early.body;
  EXPECT_EQ(early.json_body["decided"], 0);
  Response bad = Post("/api/v1/dunning/plan", {{"at", "tomorrow"}}, admin_);
  EXPECT_EQ(bad.status, 422);
  EXPECT_NE(bad.DetailFor("at"), "");
  EXPECT_EQ(Post("/api/v1/dunning/plan", {{"when", "now"}}, admin_).status, 422);

  // Once stored, the action is not decided again (R-DUN-4: never twice).
  ASSERT_EQ(Plan(admin_), 1);
  EXPECT_EQ(Post("/api/v1/dunning/plan", json::object(), admin_).json_body["decided"], 0);
  EXPECT_EQ(Count("/api/v1/actions", admin_), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, DunningApiTest, ::testing::Values("sqlite", "postgres"),
                         relance::test::BackendName());

}  // namespace
}  // namespace relance::http::test
