// Import jobs (R-IMP-4, R-IMP-12, R-IMP-13): upload, preview, start with a
// corrected mapping, run in the background, report; past imports listed;
// recovery after a crash. Both backends.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "imports/import_service.h"
#include "imports/import_test_support.h"

namespace relance::imports {
namespace {

namespace fs = std::filesystem;

class ImportServiceTest : public testing::ImportDbTest {
 protected:
  void SetUp() override {
    ImportDbTest::SetUp();
    if (!ctx_) return;
    service_ = std::make_unique<ImportService>(*ctx_, (dir_.path() / "uploads").string());
  }

  // An upload as the HTTP layer hands it over: a temporary file.
  Result<PreviewedJob> Upload(const std::string& name, const std::string& content) {
    std::string tmp = dir_.Write("incoming-" + std::to_string(++n_), content);
    return service_->Upload(who_, {tmp, name, ""});
  }

  size_t CustomerCount() { return All<domain::Customer>("id").size(); }

  int n_ = 0;
  std::unique_ptr<ImportService> service_;
};

// R-IMP-4: the preview proposes a mapping; the user corrects it; the job
// runs in the background and its outcome and counts are kept (R-IMP-12).
TEST_P(ImportServiceTest, UploadPreviewCorrectStartAndRun) {
  auto up = Upload("clients.csv", "Société;Code;Courriel;Remarque\nAcme;A1;a@acme.fr;VIP\n");
  ASSERT_TRUE(up.ok()) << up.error().ToString();
  EXPECT_EQ(up->job.status, "PREVIEW");
  EXPECT_EQ(up->job.format, "csv");
  EXPECT_EQ(up->job.separator, ";");
  EXPECT_EQ(up->preview.header.size(), 4u);
  EXPECT_EQ(up->preview.rows.size(), 1u);
  EXPECT_EQ(up->preview.proposed.Unmapped(), (std::vector<std::string>{"Code", "Remarque"}));

  StartRequest r;
  r.mapping = nlohmann::json{{"Code", "external_id"}, {"Remarque", "custom_fields.note"}};
  auto started = service_->Start(who_, up->job.meta.id, r);
  ASSERT_TRUE(started.ok()) << started.error().ToString();
  EXPECT_EQ(started->status, "QUEUED");
  // Started once only.
  EXPECT_EQ(service_->Start(who_, up->job.meta.id, r).error().code(), ErrorCode::kConflict);

  ASSERT_EQ(service_->RunQueuedJobs().value(), 1);
  auto done = service_->Get(who_, up->job.meta.id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, "SUCCEEDED") << done->message.value_or("");
  EXPECT_EQ(done->customers_created, 1);
  EXPECT_EQ(done->contacts_created, 1);
  EXPECT_EQ(done->rows_total, 1);
  ASSERT_TRUE(done->message);
  EXPECT_NE(done->message->find("import succeeded"), std::string::npos);
  services::RecordService<domain::Customer> customers(*ctx_);
  auto acme = customers.GetByExternalId(who_, "A1");
  ASSERT_TRUE(acme.ok());
  EXPECT_EQ(acme->custom_fields.at("note"), "VIP");
  // The customer data file is not kept once imported.
  EXPECT_TRUE(fs::is_empty(dir_.path() / "uploads" / who_.org_id));
}

// R-IMP-12, R-IMP-13: a failed import keeps every rejected row, as JSON
// pages and as a CSV report; nothing was written.
TEST_P(ImportServiceTest, AFailedImportKeepsItsReport) {
  auto up = Upload("c.csv", "Raison sociale;Délai de paiement\nAcme;30\nBeta;trente\n;45\n");
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(service_->Start(who_, up->job.meta.id, {}).ok());
  ASSERT_TRUE(service_->RunQueuedJobs().ok());
  auto job = service_->Get(who_, up->job.meta.id).value();
  EXPECT_EQ(job.status, "FAILED");
  EXPECT_EQ(job.rows_rejected, 2);
  EXPECT_EQ(job.customers_created, 0);
  EXPECT_NE(job.message->find("nothing was written"), std::string::npos);
  EXPECT_EQ(CustomerCount(), 0u);

  auto page = service_->Rejections(who_, job.meta.id, 0, 1).value();
  ASSERT_EQ(page.size(), 1u);
  EXPECT_EQ(page[0].second.line, 3);
  EXPECT_EQ(page[0].second.value, "trente");
  auto rest = service_->Rejections(who_, job.meta.id, page[0].first, 100).value();
  ASSERT_EQ(rest.size(), 1u);
  EXPECT_EQ(rest[0].second.line, 4);

  std::string csv = service_->ReportCsv(who_, job.meta.id).value();
  EXPECT_EQ(csv.substr(0, 3), "\xEF\xBB\xBF");
  EXPECT_NE(csv.find("line;column;value;reason\r\n"), std::string::npos);
  EXPECT_NE(csv.find("3;Délai de paiement;trente;"), std::string::npos);

  // Past imports stay listed.
  auto list = service_->List(who_, {}).value();
  ASSERT_EQ(list.items.size(), 1u);
  EXPECT_EQ(list.items[0].status, "FAILED");
}

// R-IMP-1: what cannot be imported is refused at upload, with what to do;
// nothing is kept.
TEST_P(ImportServiceTest, UnreadableFilesAreRefusedAtUpload) {
  std::string numbers = testing::BuildZip({{"Index/Document.iwa", "x"}, {"Metadata/Properties.plist", "y"}});
  auto up = Upload("clients.numbers", numbers);
  ASSERT_FALSE(up.ok());
  EXPECT_EQ(up.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(up.error().message().find("XLSX"), std::string::npos) << up.error().message();
  EXPECT_TRUE(service_->List(who_, {}).value().items.empty());
  EXPECT_FALSE(fs::exists(dir_.path() / "incoming-1"));
}

TEST_P(ImportServiceTest, AnUnusableMappingIsRefusedAtStart) {
  auto up = Upload("c.csv", "Raison sociale;Ville\nAcme;Lyon\n");
  ASSERT_TRUE(up.ok());
  StartRequest r;
  r.mapping = nlohmann::json{{"Raison sociale", nullptr}};
  auto started = service_->Start(who_, up->job.meta.id, r);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(service_->Get(who_, up->job.meta.id)->status, "PREVIEW");
}

// A preview can be discarded with its file; another organization's import
// is invisible (R-CORE-1).
TEST_P(ImportServiceTest, DiscardAndIsolation) {
  auto up = Upload("c.csv", "Raison sociale\nAcme\n");
  ASSERT_TRUE(up.ok());
  services::Principal other{"org_01M8SGWM7EBHVBD61AVPTNEBSQ", "usr_01M8SGWM7EBHVBD61AVPTNEBSQ",
                            "ADMIN"};
  EXPECT_EQ(service_->Get(other, up->job.meta.id).error().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(service_->Discard(who_, up->job.meta.id).ok());
  EXPECT_EQ(service_->Get(who_, up->job.meta.id).error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(fs::is_empty(dir_.path() / "uploads" / who_.org_id));
}

// A job left RUNNING by a crash is queued again and runs to completion.
TEST_P(ImportServiceTest, AnInterruptedJobRunsAgainAfterARestart) {
  auto up = Upload("c.csv", "Raison sociale\nAcme\n");
  ASSERT_TRUE(service_->Start(who_, up->job.meta.id, {}).ok());
  {
    auto conn = test_db_->db().Acquire();
    ASSERT_TRUE((*conn)->Exec("UPDATE imports SET status = 'RUNNING'").ok());  // the crash
  }
  service_ = std::make_unique<ImportService>(*ctx_, (dir_.path() / "uploads").string());
  ASSERT_TRUE(service_->StartWorker().ok());
  for (int i = 0; i < 200 && service_->Get(who_, up->job.meta.id)->status != "SUCCEEDED"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  service_->Stop();
  EXPECT_EQ(service_->Get(who_, up->job.meta.id)->status, "SUCCEEDED");
  EXPECT_EQ(CustomerCount(), 1u);
}

// A shutdown does not wait for a long import: it stops, writes nothing,
// and the next start runs it again.
TEST_P(ImportServiceTest, StoppingTheWorkerQueuesTheRunningImportAgain) {
  std::string csv = "Identifiant Client;Raison sociale\n";
  for (int i = 0; i < 100'000; ++i) csv += "K" + std::to_string(i) + ";Client " + std::to_string(i) + "\n";
  auto up = Upload("big.csv", csv);
  ASSERT_TRUE(up.ok());
  ASSERT_TRUE(service_->Start(who_, up->job.meta.id, {}).ok());
  ASSERT_TRUE(service_->StartWorker().ok());
  for (int i = 0; i < 5000 && service_->Get(who_, up->job.meta.id)->status != "RUNNING"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  service_->Stop();
  EXPECT_EQ(service_->Get(who_, up->job.meta.id)->status, "QUEUED");
  EXPECT_EQ(CustomerCount(), 0u);

  service_ = std::make_unique<ImportService>(*ctx_, (dir_.path() / "uploads").string());
  ASSERT_EQ(service_->RunQueuedJobs().value(), 1);
  EXPECT_EQ(service_->Get(who_, up->job.meta.id)->status, "SUCCEEDED");
  EXPECT_EQ(service_->Get(who_, up->job.meta.id)->customers_created, 100'000);
}

TEST_P(ImportServiceTest, RunFileRecordsACliImport) {
  std::string path = dir_.Write("direct.csv", "Raison sociale\nAcme\nBeta\n");
  ImportSettings s;
  s.mapping = PreviewImportFile(path, "")->proposed;
  auto job = service_->RunFile(who_, path, s, {});
  ASSERT_TRUE(job.ok()) << job.error().ToString();
  EXPECT_EQ(job->status, "SUCCEEDED");
  EXPECT_EQ(job->source, "cli");
  EXPECT_EQ(job->customers_created, 2);
  EXPECT_TRUE(fs::exists(path));  // the user's own file stays
}

INSTANTIATE_TEST_SUITE_P(Backends, ImportServiceTest, ::testing::Values("sqlite", "postgres"),
                         test::BackendName());

}  // namespace
}  // namespace relance::imports
