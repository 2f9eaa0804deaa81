-- The schema of state.db as the server at cf8ae8e makes it on its first start, before any lazily made table or column
-- (its StateStore constructor and VolumesTable, verbatim): no network_policies, snapshots, snapshot_freezes,
-- service_tokens, and no sandboxes.auto_pause. user_version 0.
CREATE TABLE IF NOT EXISTS templates (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, image TEXT NOT NULL,
    cpu TEXT NOT NULL, memory TEXT NOT NULL, storage TEXT, volume_mounts TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sandboxes (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, template_name TEXT NOT NULL, lower_dir TEXT NOT NULL,
    status TEXT NOT NULL, status_message TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    ttl_seconds INTEGER, idle_ttl_seconds INTEGER, expires_at TEXT, snapshot_id TEXT,
    vcpus INTEGER NOT NULL, cpu_limit REAL NOT NULL, mem_bytes INTEGER NOT NULL, fs_capacity_bytes INTEGER, env TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pools (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, template_name TEXT NOT NULL, replicas INTEGER NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pool_replicas (sandbox_id TEXT PRIMARY KEY, pool_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS volumes (
    id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, size_bytes INTEGER NOT NULL, storage_class TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
