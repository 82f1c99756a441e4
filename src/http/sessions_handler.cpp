// Login sessions for people (the web app): POST /api/v1/auth/login checks
// e-mail and password (argon2id) and sets the relance_session cookie
// (HttpOnly, SameSite=Lax, 14 days); POST /api/v1/auth/logout ends it;
// GET /api/v1/me tells who is signed in, by cookie or by token.
#include "http/auth_middleware.h"
#include "http/crud.h"

namespace relance::http {
namespace {

Result<OrderedJson> MeJson(const Api& api, const services::Principal& p) {
  ASSIGN_OR_RETURN(auto user, api.auth.GetUser(p.org_id, p.user_id));
  ASSIGN_OR_RETURN(auto org, api.auth.GetOrganization(p.org_id));
  OrderedJson j = OrderedJson::object();
  j["user"] = RecordToJson(user);
  j["organization"] = RecordToJson(org);
  return j;
}

}  // namespace

void AddSessionRoutes(Router& r, const Api& api) {
  RouteDoc login_doc{"Sessions", "Log in with e-mail and password",
                     "Sets the relance_session cookie (HttpOnly, SameSite=Lax) that "
                     "authenticates the following requests. Wrong e-mail or password: 401, the "
                     "same answer for both.",
                     "login"};
  login_doc.request_schema = "Login";
  login_doc.response_schema = "Me";
  r.Add({"POST", "/api/v1/auth/login", std::nullopt,
         [&api](ApiRequest& req) -> Reply {
           auto body = BodyObject(req);
           if (!body.ok()) return ErrorReply(body.error());
           std::vector<FieldError> problems;
           for (auto it = body->begin(); it != body->end(); ++it) {
             if (it.key() != "email" && it.key() != "password") {
               problems.push_back({it.key(), "is not a member of a login"});
             }
           }
           std::optional<std::string> email, password;
           for (auto [name, out] : {std::pair{"email", &email}, std::pair{"password", &password}}) {
             if (auto it = body->find(name); it == body->end()) {
               problems.push_back({name, "is required"});
             } else {
               *out = ReadString(*it, name, problems);
             }
           }
           if (!problems.empty()) return ErrorReply(InvalidFields("login", std::move(problems)));
           auto session = api.auth.Login(*email, *password);
           if (!session.ok()) return ErrorReply(session.error());
           auto me = MeJson(api, session->principal);
           if (!me.ok()) return ErrorReply(me.error());
           (*me)["expires_at"] = session->expires_at;
           Reply reply = JsonReply(200, *me);
           reply.headers.emplace_back("Set-Cookie", SessionCookie(session->session_id));
           reply.headers.emplace_back("Cache-Control", "no-store");
           return reply;
         },
         std::move(login_doc)});

  RouteDoc logout_doc{"Sessions", "Log out",
                      "Ends the session of the relance_session cookie, if any, and clears the "
                      "cookie. Always 204.",
                      "logout"};
  logout_doc.response = Body::kNone;
  logout_doc.success_status = 204;
  r.Add({"POST", "/api/v1/auth/logout", std::nullopt,
         [&api](ApiRequest& req) -> Reply {
           if (auto session = CookieValue(req.http, kSessionCookie); session && !session->empty()) {
             auto done = api.auth.Logout(*session);
             if (!done.ok()) return ErrorReply(done.error());
           }
           Reply reply = NoContent();
           reply.headers.emplace_back("Set-Cookie", ExpiredSessionCookie());
           return reply;
         },
         std::move(logout_doc)});

  RouteDoc me_doc{"Sessions", "Who you are: your user and organization", "", "getMe"};
  me_doc.response_schema = "Me";
  r.Add({"GET", "/api/v1/me", services::Access::kRead,
         [&api](ApiRequest& req) -> Reply {
           auto me = MeJson(api, req.who());
           if (!me.ok()) return ErrorReply(me.error());
           return JsonReply(200, *me);
         },
         std::move(me_doc)});
}

}  // namespace relance::http
