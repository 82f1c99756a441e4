// /api/v1/users (R-CORE-1): the organization's users and their roles.
// Reading takes any role; creating, changing and deleting take ADMIN. A new
// user is created with a password (argon2id-hashed by the auth service; the
// hash is never returned).
#include "http/crud.h"

namespace relance::http {

void AddUserRoutes(Router& r, const Api& api) {
  Resource<domain::User> res;
  res.base = "/api/v1/users";
  res.schema = "User";
  res.tag = "Users";
  res.singular = "user";
  res.write_access = services::Access::kAdmin;
  res.create_schema = "UserCreate";
  res.create_handler = [&api](ApiRequest& req) -> Reply {
    auto body = BodyObject(req);
    if (!body.ok()) return ErrorReply(body.error());
    static constexpr std::string_view kHandled[] = {"password"};
    std::vector<services::FieldAssignment> fields;
    std::vector<FieldError> problems;
    DecodeFields(domain::UserSpec(), *body, DecodeMode::kCreate, kHandled, fields, problems);
    std::optional<std::string> password;
    if (auto it = body->find("password"); it == body->end()) {
      problems.push_back({"password", "is required"});
    } else {
      password = ReadString(*it, "password", problems);
    }
    if (!problems.empty()) return ErrorReply(InvalidFields("user", std::move(problems)));
    domain::User u;
    for (const auto& f : fields) (void)domain::UserSpec().Find(f.field)->Set(u, f.value);
    services::NewUser nu{u.email, u.name, u.role, *password, u.language};
    auto created = api.auth.CreateUserAs(req.who(), nu);
    if (!created.ok()) return ErrorReply(created.error());
    return RecordReply(201, RecordToJson(*created));
  };
  AddResourceRoutes(r, api, api.users, std::move(res));
}

}  // namespace relance::http
