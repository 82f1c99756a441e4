// /api/v1/organization: the caller's organization settings (R-CORE-9).
// Anyone in it may read them; changing them takes ADMIN.
#include "http/crud.h"

namespace relance::http {

void AddOrganizationRoutes(Router& r, const Api& api) {
  RouteDoc get_doc{"Organization", "Get the settings of your organization", "", "getOrganization"};
  get_doc.response_schema = "Organization";
  r.Add({"GET", "/api/v1/organization", services::Access::kRead,
         [&api](ApiRequest& req) -> Reply {
           auto org = api.organizations.Get(req.who(), req.who().org_id);
           if (!org.ok()) return ErrorReply(org.error());
           return RecordReply(200, RecordToJson(*org));
         },
         std::move(get_doc)});

  RouteDoc patch_doc{"Organization", "Change the settings of your organization (ADMIN)",
                     "Only the members sent change; If-Match or \"version\" as for records.",
                     "updateOrganization"};
  patch_doc.request_schema = "OrganizationUpdate";
  patch_doc.response_schema = "Organization";
  patch_doc.if_match = true;
  r.Add({"PATCH", "/api/v1/organization", services::Access::kAdmin,
         [&api](ApiRequest& req) -> Reply {
           auto body = BodyObject(req);
           if (!body.ok()) return ErrorReply(body.error());
           auto version = ExpectedVersion(req, *body);
           if (!version.ok()) return ErrorReply(version.error());
           static constexpr std::string_view kHandled[] = {"version"};
           auto fields =
               DecodeBody(domain::OrganizationSpec(), *body, DecodeMode::kUpdate, kHandled);
           if (!fields.ok()) return ErrorReply(fields.error());
           auto org = api.organizations.Update(req.who(), req.who().org_id, *fields, *version);
           if (!org.ok()) return ErrorReply(org.error());
           return RecordReply(200, RecordToJson(*org));
         },
         std::move(patch_doc)});
}

}  // namespace relance::http
