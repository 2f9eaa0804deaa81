-- The schema of state.db as the server at cf8ae8e leaves it once every feature was used (sqlite3 state.db .schema after
-- creating a volume, sandboxes running/paused/stopped with auto_pause and a network policy, a snapshot, a pool and a
-- service URL): its lazily made tables and the column sandboxes.auto_pause (added by ALTER TABLE) included. user_version 0.
CREATE TABLE templates (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, image TEXT NOT NULL,
    cpu TEXT NOT NULL, memory TEXT NOT NULL, storage TEXT, volume_mounts TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE sandboxes (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, template_name TEXT NOT NULL, lower_dir TEXT NOT NULL,
    status TEXT NOT NULL, status_message TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    ttl_seconds INTEGER, idle_ttl_seconds INTEGER, expires_at TEXT, snapshot_id TEXT,
    vcpus INTEGER NOT NULL, cpu_limit REAL NOT NULL, mem_bytes INTEGER NOT NULL, fs_capacity_bytes INTEGER, env TEXT NOT NULL, auto_pause INTEGER NOT NULL DEFAULT 0);
CREATE TABLE pools (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, template_name TEXT NOT NULL, replicas INTEGER NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE pool_replicas (sandbox_id TEXT PRIMARY KEY, pool_id TEXT NOT NULL);
CREATE TABLE volumes (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, size_bytes INTEGER NOT NULL, storage_class TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE network_policies (
    sandbox_id TEXT PRIMARY KEY, mode TEXT NOT NULL, allow_cidrs TEXT NOT NULL, allow_domains TEXT NOT NULL, slot INTEGER UNIQUE);
CREATE TABLE snapshot_freezes (sandbox_id TEXT PRIMARY KEY, snapshot_id TEXT NOT NULL, frozen_at TEXT NOT NULL);
CREATE TABLE snapshots (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, status_message TEXT,
    fs_capacity_bytes INTEGER, fs_used_bytes INTEGER, source_sandbox_id TEXT, docker_image TEXT,
    template_name TEXT, lower_dir TEXT, deleted INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE UNIQUE INDEX snapshots_live_name ON snapshots(name) WHERE deleted = 0;
CREATE TABLE service_tokens (
    token_hash TEXT PRIMARY KEY, sandbox_id TEXT NOT NULL, port INTEGER NOT NULL,
    expires_at TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE INDEX service_tokens_expiry ON service_tokens(expires_at);
