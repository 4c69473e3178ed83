-- OAuth 2.1 for /mcp (functions/_shared/oauth). All state lives here, so any backend replica can
-- answer any step of a sign-in. Secrets (codes, tokens, client secrets) are stored as SHA-256 digests.

-- Registered clients: by Dynamic Client Registration (RFC 7591) or fetched Client ID Metadata Documents.
create table oauth_clients (
  client_id text primary key,
  -- Null for public clients (token_endpoint_auth_method "none").
  secret_hash bytea,
  auth_method text not null check (auth_method in ('none', 'client_secret_basic', 'client_secret_post')),
  client_name text,
  redirect_uris text[] not null,
  -- The metadata as registered (or fetched), returned by registration.
  metadata jsonb not null,
  source text not null check (source in ('registration', 'metadata_document')),
  created_at timestamptz not null default now(),
  -- When a metadata document was fetched; it is fetched again once it is older than its cache time.
  fetched_at timestamptz
);

-- One authorization request, from /oauth/authorize to the code: what the client asked for, which
-- browser started it (a cookie digest), the sign-in state, and the emailed code.
create table oauth_requests (
  id text primary key,
  browser_hash bytea not null,
  csrf text not null,
  client_id text not null references oauth_clients (client_id) on delete cascade,
  redirect_uri text not null,
  state text not null,
  code_challenge text not null,
  resource text not null,
  scope text not null,
  email text,
  code_hash bytea,
  code_expires_at timestamptz,
  code_attempts integer not null default 0,
  user_id uuid references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  finished_at timestamptz
);
create index oauth_requests_expiry_idx on oauth_requests (expires_at);

-- A grant: what one sign-in allowed one client. Its access and refresh tokens hang off it; revoking it
-- (revocation, or a refresh token used twice) ends all of them at once.
create table oauth_grants (
  id uuid primary key default gen_random_uuid(),
  client_id text not null references oauth_clients (client_id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  resource text not null,
  scope text not null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);

create table oauth_codes (
  code_hash bytea primary key,
  client_id text not null references oauth_clients (client_id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  redirect_uri text not null,
  code_challenge text not null,
  resource text not null,
  scope text not null,
  expires_at timestamptz not null,
  used_at timestamptz,
  -- The grant its exchange created: a code presented twice revokes it (RFC 6749 §4.1.2).
  grant_id uuid references oauth_grants (id) on delete cascade
);

create table oauth_tokens (
  token_hash bytea primary key,
  grant_id uuid not null references oauth_grants (id) on delete cascade,
  kind text not null check (kind in ('access', 'refresh')),
  expires_at timestamptz not null,
  -- A refresh token is used once; a second use revokes its grant.
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index oauth_tokens_grant_idx on oauth_tokens (grant_id);

-- Fixed-window counters (sign-in codes sent per email and per address, registrations, token calls).
create table oauth_rate_limits (
  bucket text not null,
  window_start timestamptz not null,
  hits integer not null,
  primary key (bucket, window_start)
);
