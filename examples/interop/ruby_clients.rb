#!/usr/bin/env ruby
# frozen_string_literal: true

# Drives introspectmock with three Ruby gems:
# - oauth2 (Faraday): client_credentials with :basic_auth and :request_body,
#   the token as a Bearer caller of the introspection endpoint;
# - rack-oauth2 (httpclient): access_token! and revoke! (RFC 7009) with
#   form-encoded Basic (:basic), raw Basic (:basic_without_www_form_urlencode)
#   and client_secret_post (:body);
# - openid_connect: OpenID Connect discovery, https by default.
# run.sh sets IM_URL (base URL and issuer) and IM_CA (the --tls server's CA).

begin
  require 'oauth2'
  require 'oauth2/version'
  require 'rack/oauth2'
  require 'openid_connect'
rescue LoadError => e # run.sh checks first; this is for a direct run
  warn "ruby_clients: #{e.message}; apt-get install ruby-oauth2 ruby-rack-oauth2 ruby-openid-connect"
  exit 3
end
require 'json'
require 'net/http'
require 'uri'

URL = ENV.fetch('IM_URL').chomp('/')
CA = ENV['IM_CA'].to_s.empty? ? nil : ENV['IM_CA']
TLS = URL.start_with?('https://')
URI_ = URI.parse(URL)

RS_ID = 'interop-rs'
RS_SECRET = 'interop-rs-secret'
ODD_ID = 'rs+odd id'
ODD_SECRET = 's3cret/with+plus&amp=%'
RS_BEARER = 'interop-rs-bearer'
CLIENT_ID = 'interop-client'
CLIENT_SECRET = 'interop-client-secret'
INACTIVE = %w[fx-expired fx-revoked fx-not-yet-valid no-such-token].freeze

$passes = 0
$failures = []

def check(what, ok, detail = '')
  if ok
    $passes += 1
    puts "ok   #{what}"
  else
    $failures << what
    warn "FAIL #{what}: #{detail}"
  end
end

# RFC 7662 §2.2: 200 and exactly {"active":false} (docs/conformance.md IR-7).
def check_inactive(what, status, body)
  check(what, status == 200 && body.strip == '{"active":false}', "got #{status} #{body}")
end

# fx-active's members with their JSON types (RFC 7662 §2.2).
def check_active_fixture(what, doc)
  want = { 'active' => true, 'scope' => 'read write', 'client_id' => CLIENT_ID, 'username' => 'alice',
           'sub' => 'user-123', 'aud' => ['orders-api'], 'iss' => URL, 'token_type' => 'Bearer',
           'jti' => 'fx-active-jti', 'tenant' => 'acme', 'roles' => ['admin'], 'level' => 3 }
  want.each { |k, v| check("#{what}: #{k}", doc[k] == v && doc[k].class == v.class, "got #{doc[k].inspect}") }
  check("#{what}: exp - iat", doc['exp'].is_a?(Integer) && doc['iat'].is_a?(Integer) && doc['exp'] - doc['iat'] == 3900,
        "exp #{doc['exp'].inspect} iat #{doc['iat'].inspect}")
end

# The admin API (not a library under test): expire a token.
def admin_expire(token)
  uri = URI.parse("#{URL}/admin/tokens/#{token}/expire")
  http = Net::HTTP.new(uri.host, uri.port)
  http.use_ssl = TLS
  http.ca_file = CA if TLS
  http.post(uri.path, '').code
end

puts "oauth2 #{OAuth2::Version}, rack-oauth2 #{Rack::OAuth2::VERSION}, openid_connect #{OpenIDConnect::VERSION}, " \
     "faraday #{Faraday::VERSION} against #{URL}"

trust = ->(c) { c.ssl_config.add_trust_ca(CA) if TLS }
Rack::OAuth2.http_config(&trust)
OpenIDConnect.http_config(&trust)
SWD.http_config(&trust)
SWD.url_builder = URI::HTTP unless TLS # openid_connect discovers over https only, by default

# --- openid_connect: discovery ------------------------------------------
conf = OpenIDConnect::Discovery::Provider::Config::Resource.new(URI_).discover!
conf.expected_issuer = URL
check('openid_connect: discovery issuer', conf.issuer == URL, conf.issuer)
check('openid_connect: endpoints', conf.raw['introspection_endpoint'] == "#{URL}/introspect" &&
      conf.raw['revocation_endpoint'] == "#{URL}/revoke" && conf.token_endpoint == "#{URL}/token", conf.raw)
check('openid_connect: jwks has an RS256 key with a kid',
      conf.jwks.any? { |k| k[:kty] == 'RSA' && k[:alg] == 'RS256' && !k[:kid].to_s.empty? }, conf.raw['jwks_uri'])
# The authorization code flow makes the document a full OpenID provider's:
# openid_connect's validation must pass with no complaint tolerated.
valid = conf.valid?
check('openid_connect: discovery document valid', valid && conf.errors.empty?, conf.errors.full_messages.join('; '))
check('openid_connect: authorization and userinfo endpoints',
      conf.authorization_endpoint == "#{URL}/authorize" && conf.userinfo_endpoint == "#{URL}/userinfo" &&
      conf.response_types_supported == ['code'], conf.raw)

# --- oauth2 gem ---------------------------------------------------------
faraday_opts = TLS ? { ssl: { ca_file: CA } } : {}
meta = JSON.parse(Net::HTTP.get(URI.parse("#{URL}/.well-known/oauth-authorization-server"))) unless TLS
meta ||= conf.raw # the RFC 8414 document has the same members

{ basic_auth: 'client_secret_basic', request_body: 'client_secret_post' }.each do |scheme, method|
  what = "oauth2/#{method}"
  client = OAuth2::Client.new(CLIENT_ID, CLIENT_SECRET, site: URL, token_url: meta['token_endpoint'],
                                                        auth_scheme: scheme, connection_opts: faraday_opts)
  token = client.client_credentials.get_token(scope: 'read')
  check("#{what}: get_token", !token.token.to_s.empty? && token.expires_in == 600 &&
        (token.expires_at - (Time.now.to_i + 600)).abs < 30 && token.params['token_type'] == 'Bearer' &&
        token.params['scope'] == 'read' && token.refresh_token.nil?, token.to_hash)

  # The issued token as a Bearer caller (docs/conformance.md CA-5).
  resp = token.post(meta['introspection_endpoint'], body: { token: 'fx-active' })
  check("#{what}: bearer introspect fx-active", resp.status == 200 && resp.headers['content-type'] == 'application/json',
        "#{resp.status} #{resp.body}")
  check_active_fixture("#{what}: bearer fx-active", resp.parsed)
  INACTIVE.each do |tok|
    resp = token.post(meta['introspection_endpoint'], body: { token: tok })
    check_inactive("#{what}: bearer introspect #{tok}", resp.status, resp.body)
  end

  # A resource server with the gem's own Basic encoder or form fields.
  rs = lambda do |path, form, id = RS_ID, secret = RS_SECRET|
    if scheme == :basic_auth
      client.request(:post, path, body: form, raise_errors: false,
                                  headers: { 'Authorization' => OAuth2::Authenticator.encode_basic_auth(id, secret) })
    else
      client.request(:post, path, body: form.merge(client_id: id, client_secret: secret), raise_errors: false)
    end
  end
  resp = rs.call(meta['introspection_endpoint'], { token: token.token })
  check("#{what}: RS introspects the issued token", resp.status == 200 && resp.parsed['active'] == true &&
        resp.parsed['client_id'] == CLIENT_ID && resp.parsed['scope'] == 'read', "#{resp.status} #{resp.body}")
  resp = rs.call(meta['introspection_endpoint'], { token: 'fx-active' }, ODD_ID, ODD_SECRET)
  check("#{what}: odd client id and secret", resp.status == 200 && resp.parsed['active'] == true,
        "#{resp.status} #{resp.body}")
  resp = rs.call(meta['introspection_endpoint'], { token: 'fx-active' }, RS_ID, 'wrong')
  check("#{what}: wrong secret is 401 invalid_client", resp.status == 401 && resp.parsed['error'] == 'invalid_client' &&
        resp.headers['www-authenticate'].to_s.include?('Basic'), "#{resp.status} #{resp.body}")
  resp = rs.call(meta['revocation_endpoint'], { token: token.token, token_type_hint: 'access_token' })
  check("#{what}: revoke", resp.status == 200 && resp.body.empty?, "#{resp.status} #{resp.body}")
  resp = rs.call(meta['introspection_endpoint'], { token: token.token })
  check_inactive("#{what}: revoked token inactive", resp.status, resp.body)

  begin
    OAuth2::Client.new(CLIENT_ID, 'wrong', site: URL, token_url: meta['token_endpoint'], auth_scheme: scheme,
                                           connection_opts: faraday_opts).client_credentials.get_token
    check("#{what}: wrong client secret raises", false, 'no error')
  rescue OAuth2::Error => e
    check("#{what}: wrong client secret raises invalid_client", e.code == 'invalid_client', e.message)
  end
end

# --- rack-oauth2 --------------------------------------------------------
META = meta
def rack_client(id, secret)
  Rack::OAuth2::Client.new(identifier: id, secret: secret, scheme: URI_.scheme, host: URI_.host, port: URI_.port,
                           token_endpoint: URI.parse(META['token_endpoint']).path,
                           revocation_endpoint: URI.parse(META['revocation_endpoint']).path)
end

%i[basic basic_without_www_form_urlencode body].each do |auth|
  what = "rack-oauth2/#{auth}"
  client = rack_client(CLIENT_ID, CLIENT_SECRET)
  token = client.access_token!(auth, scope: %w[read write])
  check("#{what}: access_token!", token.is_a?(Rack::OAuth2::AccessToken::Bearer) && token.expires_in == 600 &&
        !token.access_token.to_s.empty? && token.refresh_token.nil?, token.raw_attributes)

  resp = token.post(meta['introspection_endpoint'], token: token.access_token)
  doc = JSON.parse(resp.body)
  check("#{what}: bearer introspects itself", resp.status == 200 && doc['active'] == true &&
        doc['scope'] == 'read write' && doc['exp'] - doc['iat'] == 600, resp.body)

  rs = rack_client(RS_ID, RS_SECRET)
  odd = rack_client(ODD_ID, ODD_SECRET)
  # The RS's revoke! of the issued token, with the same method.
  check("#{what}: revoke!", rs.revoke!(auth, access_token: token.access_token) == :success)
  resp = Rack::OAuth2::AccessToken::Bearer.new(access_token: RS_BEARER).post(meta['introspection_endpoint'],
                                                                              token: token.access_token)
  check_inactive("#{what}: revoked token inactive (fixture bearer caller)", resp.status, resp.body)
  check("#{what}: revoke! of an unknown token", rs.revoke!(auth, access_token: 'no-such-token') == :success)
  # The odd client: form-encoded (:basic, docs/conformance.md CA-2) or raw (CA-3) Basic.
  check("#{what}: odd client revoke!", odd.revoke!(auth, access_token: 'fx-revoke-me') == :success)
  resp = Rack::OAuth2::AccessToken::Bearer.new(access_token: RS_BEARER).post(meta['introspection_endpoint'],
                                                                              token: 'fx-revoke-me')
  check_inactive("#{what}: fx-revoke-me inactive", resp.status, resp.body)
  # fx-revoke-me stays revoked: the next rounds revoke it again, 200 too (RFC 7009 §2.2).

  begin
    rack_client(RS_ID, 'wrong').revoke!(auth, access_token: 'fx-active')
    check("#{what}: revoke! with a wrong secret raises", false, 'no error')
  rescue Rack::OAuth2::Client::Error => e
    check("#{what}: revoke! with a wrong secret raises invalid_client", e.status == 401 && e.message == 'invalid_client',
          "#{e.status} #{e.message}")
  end

  other = client.access_token!(auth)
  admin_expire(other.access_token)
  resp = other.post(meta['introspection_endpoint'], token: 'fx-active')
  check("#{what}: an expired bearer caller gets 401 invalid_token", resp.status == 401 &&
        JSON.parse(resp.body)['error'] == 'invalid_token', "#{resp.status} #{resp.body}")
end

puts "ruby_clients: #{$passes} passed, #{$failures.size} failed"
exit($failures.empty? ? 0 : 1)
