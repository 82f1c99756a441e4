// The fixture of the import tests that need a database: a fresh one of the
// backend under test (SQLite or PostgreSQL), migrated, an organization
// "Acme" with one ADMIN (who_), a FakeClock and a temporary folder.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "imports/test_files.h"
#include "services/auth_service.h"
#include "services/record_service.h"
#include "store/migrations/migrations.h"
#include "store/test_databases.h"

namespace relance::imports::testing {

class ImportDbTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    test_db_ = test::TestDatabase::Open(GetParam());
    if (!test_db_) return;
    ASSERT_TRUE(store::ApplyMigrations(test_db_->db()).ok());
    ctx_ = std::make_unique<services::Context>(services::Context{test_db_->db(), clock_});
    who_ = NewOrganization("Acme", "Admin@acme.test");
  }

  // A new organization with one ADMIN, as that admin.
  services::Principal NewOrganization(const std::string& name, const std::string& admin_email) {
    services::AuthService auth(*ctx_, services::PasswordCost::kMinimum);
    auto org = auth.CreateOrganization({name});
    EXPECT_TRUE(org.ok());
    if (!org.ok()) return {};
    auto user = auth.CreateUser(org->meta.id, {admin_email, "Admin", "ADMIN",
                                               "correct horse battery", std::nullopt});
    EXPECT_TRUE(user.ok());
    if (!user.ok()) return {};
    return {org->meta.id, user->meta.id, "ADMIN"};
  }

  // Every record of the organization (at most 1000), sorted by `sort`.
  template <typename T>
  std::vector<T> All(const std::string& sort) {
    services::RecordService<T> svc(*ctx_);
    store::ListQuery q;
    q.limit = 1000;
    q.sort = sort;
    auto page = svc.List(who_, q);
    EXPECT_TRUE(page.ok());
    return page.ok() ? page->items : std::vector<T>{};
  }

  FakeClock clock_{*ParseTimestamp("2026-03-10T08:00:00Z")};
  TempDir dir_;
  std::unique_ptr<test::TestDatabase> test_db_;
  std::unique_ptr<services::Context> ctx_;
  services::Principal who_;
};

}  // namespace relance::imports::testing
