// /api/v1/tokens: API tokens of the calling user. The token itself is in
// the creation response only (the server keeps its SHA-256), which is also
// why this POST does not take an Idempotency-Key: a stored response would
// be a stored token.
#include "http/crud.h"

namespace relance::http {

void AddTokenRoutes(Router& r, const Api& api) {
  RouteDoc create_doc{"Tokens", "Create an API token for yourself",
                      "The token (rlt_...) is in this response only; send it as "
                      "\"Authorization: Bearer <token>\". It has your role.",
                      "createToken"};
  create_doc.request_schema = "TokenCreate";
  create_doc.response_schema = "IssuedToken";
  create_doc.success_status = 201;
  r.Add({"POST", "/api/v1/tokens", services::Access::kRead,
         [&api](ApiRequest& req) -> Reply {
           auto body = BodyObject(req);
           if (!body.ok()) return ErrorReply(body.error());
           std::vector<FieldError> problems;
           std::optional<std::string> name;
           for (auto it = body->begin(); it != body->end(); ++it) {
             if (it.key() != "name") problems.push_back({it.key(), "is not a field of token"});
           }
           if (auto it = body->find("name"); it == body->end()) {
             problems.push_back({"name", "is required"});
           } else {
             name = ReadString(*it, "name", problems);
           }
           if (!problems.empty()) return ErrorReply(InvalidFields("token", std::move(problems)));
           auto issued = api.auth.CreateTokenAs(req.who(), *name);
           if (!issued.ok()) return ErrorReply(issued.error());
           OrderedJson j = OrderedJson::object();
           j["id"] = issued->id;
           j["name"] = *name;
           j["token"] = issued->token;
           return JsonReply(201, j);
         },
         std::move(create_doc)});

  RouteDoc revoke_doc{"Tokens", "Revoke an API token", "", "revokeToken"};
  revoke_doc.response = Body::kNone;
  revoke_doc.success_status = 204;
  r.Add({"DELETE", "/api/v1/tokens/{id}", services::Access::kRead,
         [&api](ApiRequest& req) -> Reply {
           auto done = api.auth.RevokeToken(req.who(), req.PathParam("id"));
           if (!done.ok()) return ErrorReply(done.error());
           return NoContent();
         },
         std::move(revoke_doc)});
}

}  // namespace relance::http
