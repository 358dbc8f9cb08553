// Users, memberships, console sessions and the caller's own identity.
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

#include "api/context.h"
#include "api/handlers/handlers.h"
#include "api/problem.h"
#include "api/respond.h"
#include "api/validation.h"
#include "core/crypto.h"
#include "core/password.h"
#include "storage/credentials.h"
#include "storage/users.h"

namespace gaon::api {
namespace {

PasswordParams Params(const Services& s) {
  PasswordParams p;
  p.memory_kib = static_cast<std::uint32_t>(s.config->auth.argon2_memory_kib);
  p.iterations = static_cast<std::uint32_t>(s.config->auth.argon2_iterations);
  return p;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

http::HttpResponse MemberResponse(int status, const Member& m) {
  http::HttpResponse res = Json(status, m);
  return WithEtag(res, m.resource_version);
}

// A cookie header for the session, or one that clears it.
std::string SessionCookie(const RequestContext& ctx, const std::string& value, std::chrono::seconds max_age) {
  std::string c = std::string(kSessionCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                  std::to_string(max_age.count());
  if (ctx.request.tls) c += "; Secure";
  return c;
}

// The last tenant admin may not be demoted or removed by a tenant member: the tenant would
// have no one left to manage it. Operators can still do it.
Status KeepAnAdmin(RequestContext& ctx, const Member& m) {
  if (m.role != Role::kTenantAdmin || ctx.principal.platform_admin) return Status::Ok();
  ASSIGN_OR_RETURN(int others, storage::CountOtherAdmins(ctx.Tx(), m.tenant_id, m.user_id));
  if (others == 0) {
    return FailedPrecondition("this is the tenant's last tenant-admin; make someone else admin first", "last_admin");
  }
  return Status::Ok();
}

StatusOr<Me> DescribeCaller(RequestContext& ctx) {
  const Principal& p = ctx.principal;
  Me me;
  me.principal_type = std::string(p.type());
  me.principal_id = p.id;
  me.name = p.name;
  me.platform_admin = p.platform_admin;
  if (p.kind == Principal::Kind::kApiKey) {
    me.tenant_id = p.key_tenant;
    me.role = p.platform_admin ? Role::kPlatformAdmin : p.key_role.value_or(Role::kTenantViewer);
    return me;
  }
  me.user = p.user;
  ASSIGN_OR_RETURN(me.memberships, storage::MembershipsOfPrincipal(ctx.Tx(), p.user->id));
  if (p.session) {
    me.session_id = p.session->str();
    me.csrf_token = CsrfToken(p.session_secret);
  }
  return me;
}

StatusOr<http::HttpResponse> SetUserState(RequestContext& ctx, UserStatus status) {
  ASSIGN_OR_RETURN(UserId id, ctx.PathId<UserId>("user"));
  ASSIGN_OR_RETURN(User u, storage::SetUserStatus(ctx.Tx(), id, status));
  ctx.AuthChanged("user:" + id.str());
  ctx.audit = {"user", id.str(), boost::json::object{{"status", std::string(ToString(status))}}, std::nullopt};
  return Json(200, u);
}

}  // namespace

Handler CreateUser(const Services& s) {
  return [&s](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(CreateUserRequest req, ctx.Body<CreateUserRequest>());
    Validator v;
    v.Email("email", req.email);
    v.Length("display_name", req.display_name, 200);
    v.Password("password", req.password);
    RETURN_IF_ERROR(v.status());
    ASSIGN_OR_RETURN(std::string hash, HashPassword(req.password, Params(s)));
    User u;
    u.id = UserId::Generate();
    u.email = req.email;
    u.display_name = req.display_name;
    ASSIGN_OR_RETURN(User created, storage::InsertUser(ctx.Tx(), u, hash));
    ctx.audit = {"user", created.id.str(),
                 boost::json::object{{"email", created.email}, {"display_name", created.display_name}}, std::nullopt};
    http::HttpResponse res = Json(201, created);
    res.Set("Location", "/v1/admin/users/" + created.id.str());
    return res;
  };
}

Handler ListUsers() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto q, ctx.ListParams());
    ASSIGN_OR_RETURN(auto page, storage::ListUsers(ctx.Tx(), q));
    return PageResponse(std::move(page));
  };
}

Handler GetUser() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(UserId id, ctx.PathId<UserId>("user"));
    ASSIGN_OR_RETURN(User u, storage::GetUser(ctx.Tx(), id));
    return Json(200, u);
  };
}

Handler DisableUser() {
  return [](RequestContext& ctx) { return SetUserState(ctx, UserStatus::kDisabled); };
}

Handler EnableUser() {
  return [](RequestContext& ctx) { return SetUserState(ctx, UserStatus::kActive); };
}

Handler ListMembers() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(auto q, ctx.ListParams());
    ASSIGN_OR_RETURN(auto page, storage::ListMembers(ctx.Tx(), *ctx.tenant, q));
    return PageResponse(std::move(page));
  };
}

Handler GetMember() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(UserId user, ctx.PathId<UserId>("user"));
    ASSIGN_OR_RETURN(Member m, storage::GetMember(ctx.Tx(), *ctx.tenant, user));
    return MemberResponse(200, m);
  };
}

Handler AddMember(const Services& s) {
  return [&s](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(AddMemberRequest req, ctx.Body<AddMemberRequest>());
    Validator v;
    v.Email("email", req.email);
    v.Require(IsTenantRole(req.role), "role", "invalid", "must be a tenant role");
    v.Length("display_name", req.display_name, 200);
    RETURN_IF_ERROR(v.status());
    storage::Tx& tx = ctx.Tx();
    RETURN_IF_ERROR(storage::AllowEmailLookup(tx, req.email));
    ASSIGN_OR_RETURN(auto existing, storage::FindUserByEmail(tx, req.email));
    AddMemberResponse out;
    UserId user_id;
    if (existing) {
      user_id = existing->user.id;
    } else {
      // A new user: they get an initial password, shown to the admin this once.
      const std::string password = RandomToken(18);
      ASSIGN_OR_RETURN(std::string hash, HashPassword(password, Params(s)));
      User u;
      u.id = UserId::Generate();
      u.email = req.email;
      u.display_name = req.display_name;
      ASSIGN_OR_RETURN(User created, storage::InsertUser(tx, u, hash));
      user_id = created.id;
      out.initial_password = password;
    }
    ASSIGN_OR_RETURN(out.member, storage::InsertMembership(tx, *ctx.tenant, user_id, req.role));
    ctx.AuthChanged("user:" + user_id.str());
    ctx.audit = {"member", user_id.str(),
                 boost::json::object{{"email", req.email},
                                     {"role", std::string(ToString(req.role))},
                                     {"user_created", !existing.has_value()}},
                 std::nullopt};
    http::HttpResponse res = Json(201, out);
    AddMemberResponse stored = out;
    stored.initial_password.reset();
    res.stored_body = ToJsonText(stored);
    res.Set("Location", "/v1/tenants/" + ctx.tenant->str() + "/members/" + user_id.str());
    return res;
  };
}

Handler PatchMember() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(UserId user, ctx.PathId<UserId>("user"));
    ASSIGN_OR_RETURN(MemberPatch patch, ctx.Body<MemberPatch>());
    ASSIGN_OR_RETURN(auto if_match, ctx.IfMatch());
    ASSIGN_OR_RETURN(Member before, storage::GetMember(ctx.Tx(), *ctx.tenant, user));
    if (!patch.role || *patch.role == before.role) return MemberResponse(200, before);
    if (!IsTenantRole(*patch.role)) return ValidationFailed({{"role", "invalid", "role must be a tenant role"}});
    RETURN_IF_ERROR(KeepAnAdmin(ctx, before));
    ASSIGN_OR_RETURN(Member after,
                     storage::UpdateMemberRole(ctx.Tx(), *ctx.tenant, user, *patch.role,
                                               if_match.value_or(before.resource_version)));
    ctx.AuthChanged("user:" + user.str());
    ctx.audit = {"member", user.str(),
                 boost::json::object{{"role", boost::json::object{{"from", std::string(ToString(before.role))},
                                                                  {"to", std::string(ToString(after.role))}}}},
                 std::nullopt};
    return MemberResponse(200, after);
  };
}

Handler RemoveMember() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(UserId user, ctx.PathId<UserId>("user"));
    ASSIGN_OR_RETURN(Member m, storage::GetMember(ctx.Tx(), *ctx.tenant, user));
    RETURN_IF_ERROR(KeepAnAdmin(ctx, m));
    RETURN_IF_ERROR(storage::DeleteMember(ctx.Tx(), *ctx.tenant, user));
    ctx.AuthChanged("user:" + user.str());
    ctx.audit = {"member", user.str(), boost::json::object{{"email", m.email}, {"role", std::string(ToString(m.role))}},
                 std::nullopt};
    return NoContent();
  };
}

Handler Login(const Services& s) {
  return [&s](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(LoginRequest req, ctx.Body<LoginRequest>());
    const AuthConfig& cfg = s.config->auth;
    storage::Tx& tx = ctx.Tx();
    const std::string email_subject = "email:" + Sha256Hex(Lower(req.email));
    const std::string addr_subject = "addr:" + ctx.request.remote_address;
    ASSIGN_OR_RETURN(auto blocked, storage::LoginBlockedUntil(tx, {email_subject, addr_subject}));
    if (blocked) {
      const auto secs = std::chrono::duration_cast<std::chrono::seconds>(*blocked - Now()).count() + 1;
      return ResourceExhausted("too many failed logins; try again in " + std::to_string(secs) + " s",
                               "login_throttled")
          .WithExtra("retry_after_seconds", std::to_string(secs));
    }
    RETURN_IF_ERROR(storage::AllowEmailLookup(tx, req.email));
    ASSIGN_OR_RETURN(auto found, storage::FindUserByEmail(tx, req.email));
    // Verify against a throwaway hash when there is no such user, so the answer takes as long
    // either way and does not reveal which emails have accounts.
    static const std::string kDecoy = HashPassword(RandomToken(16), Params(s)).value();
    const bool password_ok = VerifyPassword(req.password, found ? found->password_hash : kDecoy);
    if (!found || !password_ok || found->user.status != UserStatus::kActive) {
      RETURN_IF_ERROR(storage::RecordLoginFailure(tx, email_subject, cfg.login_free_failures, cfg.login_base_delay,
                                                  cfg.login_max_delay));
      RETURN_IF_ERROR(storage::RecordLoginFailure(tx, addr_subject, cfg.login_free_failures * 4, cfg.login_base_delay,
                                                  cfg.login_max_delay));
      ctx.audit = {"session", "", boost::json::object{{"email", req.email}}, std::nullopt};
      // An answer, not an error: the failure count must commit.
      return ProblemResponse(Unauthenticated("wrong email or password", "invalid_credentials"), ctx.request_id());
    }
    RETURN_IF_ERROR(storage::ClearLoginFailures(tx, email_subject));
    const User& user = found->user;
    RETURN_IF_ERROR(storage::SetPrincipal(tx, user.id.str()));
    storage::NewSession session;
    session.id = SessionId::Generate();
    session.user = user.id;
    const std::string secret = RandomToken(32);
    session.secret_hash = SecretHash(secret);
    session.expires_at = Now() + std::chrono::duration_cast<std::chrono::microseconds>(cfg.session_ttl);
    session.source_address = ctx.request.remote_address;
    session.user_agent = std::string(ctx.request.Header("User-Agent").value_or("")).substr(0, 256);
    RETURN_IF_ERROR(storage::InsertSession(tx, session));

    ctx.principal.kind = Principal::Kind::kUser;
    ctx.principal.id = user.id.str();
    ctx.principal.name = user.email;
    ctx.principal.user = user;
    ctx.principal.session = session.id;
    ctx.principal.session_secret = secret;
    ASSIGN_OR_RETURN(Me me, DescribeCaller(ctx));
    me.session_expires_at = session.expires_at;
    ctx.audit = {"session", session.id.str(), boost::json::object{{"email", user.email}}, std::nullopt};
    http::HttpResponse res = Json(201, me);
    res.Set("Set-Cookie", SessionCookie(ctx, session.id.str() + "." + secret,
                                        std::chrono::duration_cast<std::chrono::seconds>(cfg.session_ttl)));
    res.Set("Cache-Control", "no-store");
    return res;
  };
}

Handler Logout() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    if (!ctx.principal.session) return NotFound("this request was not made with a console session", "no_session");
    RETURN_IF_ERROR(storage::RevokeSession(ctx.Tx(), *ctx.principal.session));
    ctx.AuthChanged("session:" + ctx.principal.session->str());
    ctx.audit = {"session", ctx.principal.session->str(), nullptr, std::nullopt};
    http::HttpResponse res = NoContent();
    res.Set("Set-Cookie", SessionCookie(ctx, "", std::chrono::seconds(0)));
    return res;
  };
}

Handler GetMe() {
  return [](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    ASSIGN_OR_RETURN(Me me, DescribeCaller(ctx));
    http::HttpResponse res = Json(200, me);
    res.Set("Cache-Control", "no-store");
    return res;
  };
}

Handler ChangePassword(const Services& s) {
  return [&s](RequestContext& ctx) -> StatusOr<http::HttpResponse> {
    if (ctx.principal.kind != Principal::Kind::kUser) {
      return FailedPrecondition("only users have passwords; this request used an API key", "not_a_user");
    }
    ASSIGN_OR_RETURN(ChangePasswordRequest req, ctx.Body<ChangePasswordRequest>());
    Validator v;
    v.Password("new_password", req.new_password);
    RETURN_IF_ERROR(v.status());
    ASSIGN_OR_RETURN(auto creds, storage::GetUserCredentials(ctx.Tx(), ctx.principal.user->id));
    if (!VerifyPassword(req.current_password, creds.password_hash)) {
      return ValidationFailed({{"current_password", "mismatch", "current_password is not the current password"}});
    }
    ASSIGN_OR_RETURN(std::string hash, HashPassword(req.new_password, Params(s)));
    // Every session of the user ends, this one included: log in again with the new password.
    RETURN_IF_ERROR(storage::SetPassword(ctx.Tx(), ctx.principal.user->id, hash));
    ctx.AuthChanged("user:" + ctx.principal.id);
    ctx.audit = {"user", ctx.principal.id, boost::json::object{{"password", "changed"}}, std::nullopt};
    http::HttpResponse res = NoContent();
    res.Set("Set-Cookie", SessionCookie(ctx, "", std::chrono::seconds(0)));
    return res;
  };
}

}  // namespace gaon::api
