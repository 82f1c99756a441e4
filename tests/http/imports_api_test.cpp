// /api/v1/imports end to end over HTTP (R-IMP-4, R-IMP-12..14): a
// multipart upload, the preview and proposed mapping, a corrected start,
// the background run, the report; the templates; bad uploads.
#include <chrono>
#include <thread>

#include "http/http_test_support.h"
#include "imports/column_mapping.h"
#include "imports/readers/row_reader.h"

namespace relance::http::test {
namespace {

class ImportsApiTest : public HttpTest {
 protected:
  // Polls the import until it is no longer queued or running.
  json WaitForImport(const std::string& id) {
    json job;
    for (int i = 0; i < 400; ++i) {
      job = Get("/api/v1/imports/" + id, admin_).json_body;
      std::string status = job.value("status", "");
      if (status != "QUEUED" && status != "RUNNING") return job;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    ADD_FAILURE() << "import " << id << " did not finish: " << job.dump();
    return job;
  }
};

TEST_P(ImportsApiTest, UploadPreviewStartAndReport) {
  Response up = Upload("/api/v1/imports", "clients.csv",
                       "\xEF\xBB\xBFRaison sociale;Code client;Courriel;Poste\r\n"
                       "Acme;A1;compta@acme.fr;Comptabilité\r\n"
                       "Beta;B1;achats@beta.fr;Directeur\r\n",
                       {}, admin_);
  ASSERT_EQ(up.status, 201) << up.body;
  const json& preview = up.json_body["preview"];
  EXPECT_EQ(preview["format"], "csv");
  EXPECT_EQ(preview["encoding"], "UTF-8 (BOM)");
  EXPECT_EQ(preview["separator"], ";");
  EXPECT_EQ(preview["header"].size(), 4u);
  EXPECT_EQ(preview["rows"].size(), 2u);
  EXPECT_EQ(preview["proposed_mapping"]["Raison sociale"], "name");
  EXPECT_EQ(preview["proposed_mapping"]["Code client"], "external_id");
  EXPECT_EQ(preview["proposed_mapping"]["Courriel"], "contact.email");
  EXPECT_EQ(up.json_body["import"]["status"], "PREVIEW");
  std::string id = up.json_body["import"]["id"];

  // Correct the mapping: ignore the position column, keep the valid rows.
  Response start = Post("/api/v1/imports/" + id + "/start",
                        {{"mapping", {{"Poste", nullptr}}}, {"keep_valid", true}}, admin_);
  ASSERT_EQ(start.status, 202) << start.body;
  EXPECT_EQ(start.json_body["status"], "QUEUED");
  EXPECT_EQ(start.json_body["mapping_columns"]["Poste"], nullptr);

  json done = WaitForImport(id);
  EXPECT_EQ(done["status"], "SUCCEEDED") << done.dump();
  EXPECT_EQ(done["customers_created"], 2);
  EXPECT_EQ(done["contacts_created"], 2);
  EXPECT_EQ(done["rows_done"], 2);
  EXPECT_EQ(Count("/api/v1/customers", admin_), 2u);

  Response list = Get("/api/v1/imports?status=SUCCEEDED", admin_);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json_body["data"].size(), 1u);
}

TEST_P(ImportsApiTest, AFailedImportListsEveryRejectedRow) {
  Response up = Upload("/api/v1/imports", "c.csv",
                       "Raison sociale;Délai de paiement;E-mail\n"
                       "Acme;30;a@acme.fr\nBeta;trente;b@beta.fr\nGamma;10;pas-un-mail\n",
                       {{"start", "true"}}, admin_);
  ASSERT_EQ(up.status, 201) << up.body;
  std::string id = up.json_body["import"]["id"];
  EXPECT_EQ(up.json_body["import"]["status"], "QUEUED");
  json done = WaitForImport(id);
  EXPECT_EQ(done["status"], "FAILED");
  EXPECT_EQ(done["rows_rejected"], 2);
  EXPECT_EQ(Count("/api/v1/customers", admin_), 0u);  // R-IMP-13

  Response page = Get("/api/v1/imports/" + id + "/rejections?limit=1", admin_);
  ASSERT_EQ(page.status, 200) << page.body;
  ASSERT_EQ(page.json_body["data"].size(), 1u);
  EXPECT_EQ(page.json_body["data"][0]["line"], 3);
  EXPECT_EQ(page.json_body["data"][0]["column"], "Délai de paiement");
  EXPECT_EQ(page.json_body["data"][0]["value"], "trente");
  std::string cursor = page.json_body["next_cursor"];
  Response next = Get("/api/v1/imports/" + id + "/rejections?cursor=" + cursor, admin_);
  ASSERT_EQ(next.json_body["data"].size(), 1u);
  EXPECT_EQ(next.json_body["data"][0]["line"], 4);
  EXPECT_TRUE(next.json_body["next_cursor"].is_null());

  Response report = Get("/api/v1/imports/" + id + "/report.csv", admin_);
  ASSERT_EQ(report.status, 200);
  EXPECT_NE(report.Header("Content-Type").find("text/csv"), std::string::npos);
  EXPECT_NE(report.Header("Content-Disposition").find("attachment"), std::string::npos);
  EXPECT_NE(report.body.find("4;E-mail;pas-un-mail;"), std::string::npos) << report.body;
}

// R-IMP-14: both templates download, and each one imports as it is, every
// column recognised.
TEST_P(ImportsApiTest, TemplatesDownloadAndMapEntirely) {
  for (const std::string ext : {"csv", "xlsx"}) {
    Response t = Get("/api/v1/imports/templates/customers." + ext, admin_);
    ASSERT_EQ(t.status, 200) << ext;
    EXPECT_NE(t.Header("Content-Disposition").find("modele-import-clients." + ext),
              std::string::npos);
    auto reader = imports::OpenReaderFromBuffer(t.body, "modele." + ext);
    ASSERT_TRUE(reader.ok()) << reader.error().ToString();
    auto rows = imports::ReadRows(**reader, 10);
    ASSERT_TRUE(rows.ok());
    ASSERT_GE(rows->size(), 4u);
    auto mapping = imports::ProposeMapping((*rows)[0].cells);
    EXPECT_TRUE(mapping.Unmapped().empty()) << ext;

    Response up = Upload("/api/v1/imports", "modele." + ext, t.body, {{"start", "true"}}, admin_);
    ASSERT_EQ(up.status, 201) << up.body;
    json done = WaitForImport(up.json_body["import"]["id"]);
    EXPECT_EQ(done["status"], "SUCCEEDED") << done.dump();
  }
  EXPECT_EQ(Count("/api/v1/customers", admin_), 2u);  // the second run updated nothing new
  EXPECT_EQ(Count("/api/v1/contacts", admin_), 3u);
}

TEST_P(ImportsApiTest, BadUploadsAreRefusedWithAClearError) {
  // Not multipart.
  Response json_body = Post("/api/v1/imports", {{"file", "x"}}, admin_);
  EXPECT_EQ(json_body.status, 415) << json_body.body;
  // A file that is not a table.
  Response pdf = Upload("/api/v1/imports", "clients.xlsx", "%PDF-1.7 not a spreadsheet", {}, admin_);
  EXPECT_EQ(pdf.status, 422) << pdf.body;
  EXPECT_NE(pdf.json_body["error"]["message"].get<std::string>().size(), 0u);
  // An unknown form field, a bad boolean.
  Response field = Upload("/api/v1/imports", "c.csv", "Raison sociale\nAcme\n", {{"colour", "red"}},
                          admin_);
  EXPECT_EQ(field.status, 422);
  EXPECT_NE(field.DetailFor("colour"), "");
  Response boolean = Upload("/api/v1/imports", "c.csv", "Raison sociale\nAcme\n",
                            {{"keep_valid", "perhaps"}}, admin_);
  EXPECT_EQ(boolean.status, 422);
  // A mapping naming a column the file does not have.
  Response up = Upload("/api/v1/imports", "c.csv", "Raison sociale\nAcme\n", {}, admin_);
  ASSERT_EQ(up.status, 201);
  std::string id = up.json_body["import"]["id"];
  Response start = Post("/api/v1/imports/" + id + "/start", {{"mapping", {{"Adresse", "street"}}}},
                        admin_);
  EXPECT_EQ(start.status, 422);
  EXPECT_NE(start.DetailFor("Adresse"), "");
  Response unknown = Post("/api/v1/imports/" + id + "/start", {{"speed", "fast"}}, admin_);
  EXPECT_EQ(unknown.status, 422);
  // Nothing was imported, and the preview can still be started or discarded.
  EXPECT_EQ(Get("/api/v1/imports/" + id, admin_).json_body["status"], "PREVIEW");
  EXPECT_EQ(Delete("/api/v1/imports/" + id, admin_).status, 204);
  EXPECT_EQ(Get("/api/v1/imports/" + id, admin_).status, 404);
  EXPECT_EQ(Count("/api/v1/customers", admin_), 0u);
}

TEST_P(ImportsApiTest, RolesAndOrganizationsAreRespected) {
  Caller reader = NewUser(admin_.org_id, "READ_ONLY");
  Response up = Upload("/api/v1/imports", "c.csv", "Raison sociale\nAcme\n", {}, reader);
  EXPECT_EQ(up.status, 403);
  Response mine = Upload("/api/v1/imports", "c.csv", "Raison sociale\nAcme\n", {}, admin_);
  ASSERT_EQ(mine.status, 201);
  Caller stranger = NewOrg("Other");
  std::string id = mine.json_body["import"]["id"];
  EXPECT_EQ(Get("/api/v1/imports/" + id, stranger).status, 404);
  EXPECT_EQ(Post("/api/v1/imports/" + id + "/start", json::object(), stranger).status, 404);
  EXPECT_EQ(Get("/api/v1/imports/" + id + "/report.csv", stranger).status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, ImportsApiTest, ::testing::Values("sqlite", "postgres"),
                         relance::test::BackendName());

}  // namespace
}  // namespace relance::http::test
