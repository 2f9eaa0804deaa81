// The current (snapshot-first) generation of LangSmith sandboxes, driven by the real LangSmith JS SDK 0.12.0
// (`langsmith/sandbox`) against the local server, which serves the older generation at the same time.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { statSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Langsmith, ConflictError, NotFoundError, UnprocessableEntityError } from "langsmith";
import {
  SandboxClient,
  LangSmithResourceCreationError,
  LangSmithSandboxError,
  LangSmithResourceNotFoundError,
  LangSmithSandboxOperationError,
  LangSmithValidationError,
} from "langsmith/sandbox";
import { serverForFile, uniqueName } from "./lib/server.mjs";

const ctx = serverForFile({ before, after }, SandboxClient, async (c) => {
  for (const sb of await c.listSandboxes()) await sb.delete().catch(() => {});
});

/** The generated (Stainless) client of 0.12.0, which pages by items + next_cursor under /api/v2/sandboxes. */
function generatedClient() {
  return new Langsmith({ baseURL: ctx.server.endpoint, apiKey: ctx.server.apiKey, maxRetries: 0 });
}

/** Creates a sandbox with the SDK's own create (no snapshot: the server's default) and deletes it after, whatever the test did. */
async function withSandbox(fn, options = {}) {
  const sb = await ctx.client.createSandbox({ name: uniqueName("cur"), ...options });
  try {
    return await fn(sb);
  } finally {
    await sb.delete().catch(() => {});
  }
}

test("files: stat reports size and validators; readRange reads parts, resumes with If-Range, and restarts on a stale one", async () => {
  await withSandbox(async (sb) => {
    await sb.write("/tmp/data.txt", "0123456789");
    const st = await sb.stat("/tmp/data.txt");
    assert.equal(st.size_bytes, 10);
    assert.match(st.etag, /^"[^"]+"$/, "a strong ETag");
    assert.ok(!Number.isNaN(Date.parse(st.last_modified)), `Last-Modified ${st.last_modified}`);
    assert.equal(st.content_type, "application/octet-stream");

    const head = await sb.readRange("/tmp/data.txt", { start: 0, end: 3 });
    assert.equal(Buffer.from(head.content).toString(), "0123");
    assert.equal(head.partial, true);
    assert.equal(head.start, 0);
    assert.equal(head.total_bytes, 10);
    assert.equal(head.etag, st.etag);

    const next = await sb.readRange("/tmp/data.txt", { start: 4, ifRange: head.etag });
    assert.equal(Buffer.from(next.content).toString(), "456789");
    assert.equal(next.start, 4);

    const tail = await sb.readRange("/tmp/data.txt", { suffixBytes: 2 });
    assert.equal(Buffer.from(tail.content).toString(), "89");
    assert.equal(tail.start, 8);

    const same = await sb.readRange("/tmp/data.txt", { start: 0, ifNoneMatch: st.etag });
    assert.equal(same.unchanged, true);
    assert.equal(same.content.length, 0);

    await sb.write("/tmp/data.txt", "changed!!!!!");
    const restarted = await sb.readRange("/tmp/data.txt", { start: 4, ifRange: head.etag });
    assert.equal(restarted.partial, false, "a stale If-Range answers the whole file");
    assert.equal(restarted.start, 0);
    assert.equal(Buffer.from(restarted.content).toString(), "changed!!!!!");
    assert.notEqual(restarted.etag, st.etag);

    await assert.rejects(sb.readRange("/tmp/data.txt", { start: 100 }), LangSmithSandboxOperationError);
    await assert.rejects(sb.stat("/tmp/missing.txt"), LangSmithResourceNotFoundError);
  });
});

test("lists: the SDK reads sandboxes and snapshots pages; the generated client follows next_cursor to the end", async () => {
  await withSandbox(async (sb) => {
    assert.ok((await ctx.client.listSandboxes()).some((s) => s.name === sb.name));
    const prefix = uniqueName("lsnap");
    const made = [];
    for (const n of ["a", "b", "c"]) made.push(await ctx.client.captureSnapshot(sb.name, `${prefix}-${n}`, { timeout: 60 }));
    try {
      assert.deepEqual(made.map((s) => s.status), ["ready", "ready", "ready"]);
      const page1 = await ctx.client.listSnapshots({ nameContains: prefix, limit: 2 });
      const page2 = await ctx.client.listSnapshots({ nameContains: prefix, limit: 2, offset: 2 });
      assert.deepEqual([...page1, ...page2].map((s) => s.name), [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
      await assert.rejects(ctx.client.listSnapshots({ limit: 501 }), LangSmithValidationError);

      const gen = generatedClient();
      const names = [];
      for await (const s of gen.sandboxes.snapshots.list({ name_contains: prefix, page_size: 1 })) names.push(s.name);
      assert.deepEqual(names, [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
      const boxes = [];
      for await (const b of gen.sandboxes.boxes.list({ name_contains: sb.name, page_size: 1, sort_order: "asc" })) boxes.push(b.name);
      assert.deepEqual(boxes, [sb.name]);
    } finally {
      for (const s of made) await ctx.client.deleteSnapshot(s.id).catch(() => {});
    }
  });
});

test("create: nothing boots the default (python); snapshotName resolves built-ins and captured snapshots; bad input is a validation error", async () => {
  await withSandbox(async (sb) => {
    assert.equal(sb.status, "ready");
    assert.equal(sb.mem_bytes, 1024 * 1024 * 1024);
    const r = await sb.run("python3 -c 'print(6 * 7)'");
    assert.equal(r.exit_code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "42");

    await sb.write("/home/user/mark.txt", "from the source");
    const snapName = uniqueName("csnap");
    const snap = await ctx.client.captureSnapshot(sb.name, snapName, { timeout: 60 });
    try {
      await withSandbox(async (copy) => {
        assert.equal(copy.snapshot_id, snap.id);
        assert.equal(Buffer.from(await copy.read("/home/user/mark.txt")).toString(), "from the source");
      }, { snapshotName: snapName });
      const byId = await ctx.client.createSandbox(snap.id, { name: uniqueName("cid") });
      try {
        assert.equal(byId.snapshot_id, snap.id);
      } finally {
        await byId.delete();
      }
    } finally {
      await ctx.client.deleteSnapshot(snap.id);
    }
  });

  await withSandbox(async (sb) => assert.equal(sb.mem_bytes, 512 * 1024 * 1024), { snapshotName: "base" });
  await assert.rejects(ctx.client.createSandbox({ snapshotName: uniqueName("nosuch") }), LangSmithResourceNotFoundError);
  await assert.rejects(ctx.client.createSandbox("00000000-0000-0000-0000-000000000000"), LangSmithResourceNotFoundError);
  await assert.rejects(ctx.client.createSandbox({ name: "Not_A_Valid_Name" }), (e) => e instanceof LangSmithValidationError && e.field === "name");
  await assert.rejects(ctx.client.createSandbox({ vCpus: 0 }), (e) => e instanceof LangSmithValidationError && e.field === "vcpus");
});

test("lifetime: idle_ttl_seconds defaults to 600, delete_after_stop_seconds is stored and patched, stopped_at follows stop and start", async () => {
  await withSandbox(async (sb) => {
    assert.equal(sb.idle_ttl_seconds, 600);
    assert.equal(sb.delete_after_stop_seconds, 120);
    assert.equal(sb.stopped_at, undefined);

    await ctx.client.stopSandbox(sb.name);
    const stopped = await ctx.client.getSandbox(sb.name);
    assert.equal(stopped.status, "stopped");
    assert.ok(Date.now() - Date.parse(stopped.stopped_at) < 30_000, `stopped_at ${stopped.stopped_at}`);

    const patched = await ctx.client.updateSandbox(sb.name, { idleTtlSeconds: 0, deleteAfterStopSeconds: 0 });
    assert.equal(patched.idle_ttl_seconds, 0);
    assert.equal(patched.delete_after_stop_seconds, 0);

    const started = await ctx.client.startSandbox(sb.name);
    assert.equal(started.status, "ready");
    assert.equal(started.stopped_at, undefined);
  }, { deleteAfterStopSeconds: 120 });
});


/** The dataplane call the SDK refuses before sending (run_config beside env/cwd), made by hand to see the server's own answer. */
async function rawExecute(sb, body) {
  const res = await fetch(`${sb.dataplane_url}/execute`, {
    method: "POST",
    headers: { "X-Api-Key": ctx.server.apiKey, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

test("run_config: the sandbox's layer (create, update) under each command's; users of the sandbox's own; 400 beside env/cwd", async () => {
  await withSandbox(async (sb) => {
    assert.deepEqual(sb.run_config, { user: "user", work_dir: "/tmp", env_vars: { A: "box" } });
    const probe = 'echo "$(id -u):$(id -g) $(pwd) $A $B $USER $HOME"';
    assert.equal((await sb.run(probe)).stdout, "1000:1000 /tmp box  user /home/user\n");
    const asRoot = await sb.run(probe, { runConfig: { user: "root", work_dir: "/", env_vars: { B: "cmd" } } });
    assert.equal(asRoot.stdout, "0:0 / box cmd root /home/user\n");

    const updated = await ctx.client.updateSandbox(sb.name, { runConfig: { env_vars: { B: "patched" } } });
    assert.deepEqual(updated.run_config, { user: "user", work_dir: "/tmp", env_vars: { A: "box", B: "patched" } });
    assert.equal((await sb.run(probe)).stdout, "1000:1000 /tmp box patched user /home/user\n");

    // The user is a user inside: root's files stay root's.
    const denied = await sb.run("touch /etc/nope");
    assert.notEqual(denied.exit_code, 0);
    assert.match(denied.stderr, /Permission denied/);

    // The SDK refuses runConfig beside env/cwd itself; the server answers 400 too.
    await assert.rejects(sb.run("true", { runConfig: { work_dir: "/" }, cwd: "/tmp" }), LangSmithValidationError);
    const both = await rawExecute(sb, { command: "true", run_config: { work_dir: "/" }, env: { A: "1" } });
    assert.equal(both.status, 400);
    assert.equal(both.body.detail.error, "InvalidRequest");
    await assert.rejects(sb.run("true", { runConfig: { user: "ghost" } }), (e) => e instanceof LangSmithSandboxOperationError && /ghost/.test(e.message));
  }, { runConfig: { user: "user", work_dir: "/tmp", env_vars: { A: "box" } } });

  await assert.rejects(ctx.client.createSandbox({ name: uniqueName("rcbad"), runConfig: { work_dir: "relative" } }),
    (e) => e instanceof LangSmithValidationError && e.field === "work_dir");
});

test("exec: stdin closed by default, closeInput() half-closes, a retried command_id attaches, reconnect is acknowledged, -1 values", async () => {
  await withSandbox(async (sb) => {
    // closeInput defaults to true: cat sees end-of-file at once instead of waiting for input.
    assert.equal((await sb.run("cat; echo eof", { timeout: 10 })).stdout, "eof\n");

    const open = await sb.run("cat; echo done", { wait: false, closeInput: false, timeout: 20 });
    open.sendInput("typed\n");
    open.closeInput();
    assert.equal((await open.result).stdout, "typed\ndone\n");

    // Two runs with one commandId: the second attaches to the first command (get-or-create), nothing runs twice.
    const commandId = crypto.randomUUID();
    const command = "echo run >> /tmp/runs; sleep 1; echo once";
    const first = await sb.run(command, { wait: false, commandId });
    const second = await sb.run(command, { wait: false, commandId });
    assert.equal(second.commandId, commandId);
    assert.equal(second.pid, first.pid);
    assert.equal((await second.result).stdout, "once\n");
    assert.equal((await sb.run("wc -l < /tmp/runs")).stdout.trim(), "1");

    // A reconnect by id: the server acknowledges it with started, then replays the output.
    const running = await sb.run("sleep 1; echo late", { wait: false });
    const again = await sb.reconnect(running.commandId);
    const chunks = [];
    for await (const chunk of again) chunks.push(chunk.data);
    assert.equal(chunks.join(""), "late\n");
    assert.equal((await again.result).exit_code, 0);

    assert.equal((await sb.run("echo ok", { idleTimeout: -1, ttlSeconds: -1 })).stdout, "ok\n");
  });
});

test("wake: run, read, write and glob on a stopped sandbox start it", async () => {
  await withSandbox(async (sb) => {
    await sb.write("/home/user/kept.txt", "kept");
    const stopAndCheck = async () => {
      await ctx.client.stopSandbox(sb.name);
      assert.equal((await ctx.client.getSandbox(sb.name)).status, "stopped");
    };
    await stopAndCheck();
    assert.equal((await sb.run("cat /home/user/kept.txt")).stdout, "kept");
    assert.equal((await ctx.client.getSandbox(sb.name)).status, "ready");
    await stopAndCheck();
    assert.equal(Buffer.from(await sb.read("/home/user/kept.txt")).toString(), "kept");
    await stopAndCheck();
    await sb.write("/home/user/new.txt", "new");
    await stopAndCheck();
    assert.deepEqual((await sb.ls("/home/user")).matches.map((m) => m.path).sort(), ["/home/user/kept.txt", "/home/user/new.txt"]);
  });
});

test("glob and grep: relative patterns under a directory, literal search, truncation, errors", async () => {
  await withSandbox(async (sb) => {
    await sb.write("/home/user/proj/a.py", "import os\nneedle = 1\n");
    await sb.write("/home/user/proj/sub/b.py", "x\nneedle here\n");
    await sb.write("/home/user/proj/sub/c.txt", "needle in text\n");
    await sb.run("ln -s /etc /home/user/proj/etc-link");

    const ls = await sb.ls("/home/user/proj");
    assert.deepEqual(ls.matches.map((m) => [m.path, m.is_dir]).sort(),
      [["/home/user/proj/a.py", false], ["/home/user/proj/etc-link", false], ["/home/user/proj/sub", true]]);
    const a = ls.matches.find((m) => m.path.endsWith("a.py"));
    assert.equal(a.size_bytes, 21);
    assert.ok(!Number.isNaN(Date.parse(a.modified_at)));

    const py = await sb.glob("**/*.py", "/home/user/proj");
    assert.deepEqual(py.matches.map((m) => m.path), ["/home/user/proj/a.py", "/home/user/proj/sub/b.py"]);
    assert.equal(py.truncated, false);
    const capped = await sb.glob("**", "/home/user/proj", { limit: 2 });
    assert.equal(capped.matches.length, 2);
    assert.equal(capped.truncated, true);

    const grep = await sb.grep("needle", "/home/user/proj", { glob: "*.py" });
    assert.deepEqual(grep.matches, [
      { path: "/home/user/proj/a.py", line: 2, text: "needle = 1" },
      { path: "/home/user/proj/sub/b.py", line: 2, text: "needle here" },
    ]);
    assert.deepEqual((await sb.grep("needle", "/home/user/proj")).matches.map((m) => m.path),
      ["/home/user/proj/a.py", "/home/user/proj/sub/b.py", "/home/user/proj/sub/c.txt"]);
    // The symlink to /etc is listed, never entered.
    assert.deepEqual((await sb.grep("root:", "/home/user/proj")).matches, []);

    await assert.rejects(sb.glob("*", "/home/user/no-such-dir"), LangSmithResourceNotFoundError);
    await assert.rejects(sb.glob("[unclosed", "/home/user"), (e) => e instanceof LangSmithSandboxError && /pattern/.test(e.message));
    await assert.rejects(sb.grep("x", "relative/dir"), (e) => e instanceof LangSmithSandboxError && /path/.test(e.message));
  });
});

test("snapshots: createSnapshot from a built-in boots it; a registry reference fails saying nothing is pulled", async () => {
  const name = uniqueName("img");
  const snap = await ctx.client.createSnapshot(name, "python", 1024 ** 3, { timeout: 30 });
  try {
    assert.equal(snap.status, "ready");
    assert.equal(snap.docker_image, "python");
    assert.deepEqual(snap.tags, ["latest"]);
    assert.equal((await ctx.client.getSnapshot(`${name}:latest`)).id, snap.id);
    await withSandbox(async (sb) => {
      assert.equal(sb.snapshot_id, snap.id);
      assert.equal((await sb.run("python3 -c 'print(6 * 7)'")).stdout.trim(), "42");
    }, { snapshotName: name });
  } finally {
    await ctx.client.deleteSnapshot(snap.id);
  }
  await assert.rejects(ctx.client.createSnapshot(uniqueName("pull"), "docker.io/library/alpine:3.20", 1024 ** 3, { timeout: 30 }),
    (e) => e instanceof LangSmithResourceCreationError && /pulls no images/.test(e.message));
  await assert.rejects(ctx.client.createSnapshot(uniqueName("nopath"), "/nonexistent/image.tar", 1024 ** 3), LangSmithValidationError);
  for (const failed of (await ctx.client.listSnapshots({ limit: 500 })).filter((s) => s.status === "failed")) await ctx.client.deleteSnapshot(failed.id);
});

test("run_config on snapshots: createSnapshot and captureSnapshot keep it; their sandboxes layer their own and each command's over it", async () => {
  const name = uniqueName("rcimg");
  const snap = await ctx.client.createSnapshot(name, "base", 1024 ** 3, { timeout: 30, runConfig: { user: "user", work_dir: "/tmp", env_vars: { FROM: "snapshot", KEEP: "snapshot" } } });
  const captured = [];
  try {
    assert.deepEqual(snap.run_config, { user: "user", work_dir: "/tmp", env_vars: { FROM: "snapshot", KEEP: "snapshot" } });
    await withSandbox(async (sb) => {
      assert.equal(sb.run_config.user, "user");
      assert.equal((await sb.run('echo "$(id -un) $(pwd) $FROM $KEEP"')).stdout.trim(), "user /tmp sandbox snapshot");
      assert.equal((await sb.run('echo "$(id -un) $(pwd)"', { runConfig: { user: "root", work_dir: "/" } })).stdout.trim(), "root /");
      const copy = await ctx.client.captureSnapshot(sb.name, uniqueName("rccap"), { timeout: 30, runConfig: { work_dir: "/etc" } });
      captured.push(copy.id);
      assert.equal(copy.run_config.user, "user");
      assert.equal(copy.run_config.work_dir, "/etc");
      assert.equal(copy.run_config.env_vars.FROM, "sandbox");
    }, { snapshotName: name, runConfig: { env_vars: { FROM: "sandbox" } } });
    await assert.rejects(ctx.client.createSnapshot(uniqueName("rcbad"), "base", 1024 ** 3, { runConfig: { work_dir: "relative" } }),
      (e) => e instanceof LangSmithValidationError && /work_dir/.test(String(e.field)) && /absolute/.test(e.message), "a relative work_dir was not refused naming the field");
  } finally {
    for (const id of captured) await ctx.client.deleteSnapshot(id);
    await ctx.client.deleteSnapshot(snap.id);
  }
});

test("snapshot tags: the generated client tags, resolves name:tag, lists tags by name, filters labels and deletes by reference", async () => {
  const gen = generatedClient();
  const name = uniqueName("tag");
  const team = uniqueName("team");
  const v1 = await gen.sandboxes.snapshots.create({ name, docker_image: "base", fs_capacity_bytes: 1024 ** 3, tag: "v1", labels: { team } });
  const latest = await gen.sandboxes.snapshots.create({ name, docker_image: "base", fs_capacity_bytes: 1024 ** 3, labels: { team, tier: "gold" } });
  try {
    assert.deepEqual(v1.tags, ["v1"]);
    assert.deepEqual(latest.labels, { team, tier: "gold" });
    assert.equal((await gen.sandboxes.snapshots.retrieve(`${name}:v1`)).id, v1.id);
    assert.equal((await gen.sandboxes.snapshots.retrieve(name)).id, latest.id);
    const byName = await gen.sandboxes.snapshots.retrieveByName(name);
    assert.deepEqual(byName, { name, tags: [{ tag: "latest", snapshot_id: latest.id }, { tag: "v1", snapshot_id: v1.id }] });
    const labelled = [];
    for await (const s of gen.sandboxes.snapshots.list({ label: [`team=${team}`, "tier"] })) labelled.push(s.id);
    assert.deepEqual(labelled, [latest.id]);

    // Re-tagging moves latest; the SDK's own create boots a tag by reference.
    const moved = await gen.sandboxes.snapshots.create({ name, docker_image: "base", fs_capacity_bytes: 1024 ** 3 });
    assert.deepEqual((await gen.sandboxes.snapshots.retrieve(latest.id)).tags, []);
    await withSandbox(async (sb) => assert.equal(sb.snapshot_id, v1.id), { snapshotName: `${name}:v1` });
    await gen.sandboxes.snapshots.delete(`${name}:latest`);
    await assert.rejects(gen.sandboxes.snapshots.retrieve(moved.id), NotFoundError);
    await assert.rejects(gen.sandboxes.snapshots.create({ name, docker_image: "base", fs_capacity_bytes: 1024 ** 3, tag: "bad tag" }), UnprocessableEntityError);
  } finally {
    for (const s of [v1, latest]) await gen.sandboxes.snapshots.delete(s.id).catch(() => {});
  }
  await assert.rejects(gen.sandboxes.snapshots.retrieveByName(name), NotFoundError);
});

test("download links: generateDownloadURL serves one file without the API key, with HEAD and Range, until it expires", async () => {
  await withSandbox(async (sb) => {
    await sb.write("/home/user/report.txt", "hello from a link");
    const link = await sb.generateDownloadURL("/home/user/report.txt", { contentType: "text/plain", contentDisposition: "inline" });
    assert.equal(link.expires_at, null);
    assert.ok(link.download_url.endsWith(link.token));
    const got = await fetch(link.download_url); // no X-Api-Key
    assert.equal(got.status, 200);
    assert.equal(await got.text(), "hello from a link");
    assert.equal(got.headers.get("content-type"), "text/plain");
    assert.match(got.headers.get("content-disposition"), /^inline; filename=/);
    assert.equal(got.headers.get("content-security-policy"), "sandbox");
    const head = await fetch(link.download_url, { method: "HEAD" });
    assert.equal(head.headers.get("content-length"), "17");
    const part = await fetch(link.download_url, { headers: { Range: "bytes=6-9" } });
    assert.equal(part.status, 206);
    assert.equal(await part.text(), "from");
    assert.equal((await fetch(link.download_url.slice(0, -2) + "xx")).status, 404);

    const short = await ctx.client.generateDownloadURL(sb.name, "report.txt", { expiresInSeconds: 1 });
    assert.ok(Date.parse(short.expires_at) - Date.now() < 5_000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await fetch(short.download_url)).status, 403);
    await assert.rejects(ctx.client.generateDownloadURL(sb.name, "report.txt", { contentDisposition: "download" }),
      (e) => e instanceof LangSmithValidationError && e.field === "content_disposition");
  });
});

test("registries: CRUD through the generated client; the password lives in a 0600 file and is never answered", async () => {
  const gen = generatedClient();
  const name = uniqueName("reg");
  const password = `pw-${uniqueName("secret")}`;
  const created = await gen.sandboxes.registries.create({ name, url: "ghcr.io/acme", username: "robot", password });
  try {
    assert.equal(created.name, name);
    assert.equal(created.auth_type, "DOCKER_CONFIG");
    const file = join(ctx.server.dataDir, "registries", `${created.id}.password`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, "utf8"), password);
    const seen = [created, await gen.sandboxes.registries.retrieve(name), await gen.sandboxes.registries.list({ name_contains: name })];
    assert.deepEqual(seen[2].registries.map((r) => r.id), [created.id]);
    await assert.rejects(gen.sandboxes.registries.create({ name, url: "ghcr.io/acme", username: "robot", password }), ConflictError);
    await assert.rejects(gen.sandboxes.registries.create({ name: uniqueName("aws"), url: "1.dkr.ecr.us-east-1.amazonaws.com", auth_type: "AWS_ROLE", aws_role_arn: "arn:aws:iam::1:role/x" }), UnprocessableEntityError);
    seen.push(await gen.sandboxes.registries.update(name, { password: `${password}-2`, url: "ghcr.io/acme2" }));
    assert.equal(seen.at(-1).url, "ghcr.io/acme2");
    for (const answer of seen) assert.ok(!JSON.stringify(answer).includes(password), `the password leaked: ${JSON.stringify(answer)}`);

    await assert.rejects(ctx.client.createSnapshot(uniqueName("regsnap"), "ghcr.io/acme/app:1", 1024 ** 3, { registryId: created.id, timeout: 10 }),
      (e) => e instanceof LangSmithResourceCreationError && /pulls no images/.test(e.message));
  } finally {
    await gen.sandboxes.registries.delete(name);
  }
  await assert.rejects(gen.sandboxes.registries.retrieve(name), NotFoundError);
  for (const failed of (await ctx.client.listSnapshots({ limit: 500 })).filter((s) => s.status === "failed")) await ctx.client.deleteSnapshot(failed.id);
});

test("proxy_config: access_control becomes the network policy; remote-only features are validation errors naming the field", async () => {
  const gen = generatedClient();
  await withSandbox(async (sb) => {
    const seen = await gen.sandboxes.boxes.retrieve(sb.name);
    assert.deepEqual(seen.proxy_config, { access_control: { deny_list: ["203.0.113.9/32", "blocked.example"] } });
    assert.equal(seen.network_policy.mode, "allow-all-except");
    assert.deepEqual(seen.labels, { team: "a" });
    const listed = [];
    for await (const b of gen.sandboxes.boxes.list({ label: ["team=a"], name_contains: sb.name })) listed.push(b.name);
    assert.deepEqual(listed, [sb.name]);
    const patched = await ctx.client.updateSandbox(sb.name, { proxyConfig: { access_control: { allow_list: ["198.51.100.0/24"] } } });
    assert.equal(patched.name, sb.name);
    assert.deepEqual((await gen.sandboxes.boxes.retrieve(sb.name)).proxy_config, { access_control: { allow_list: ["198.51.100.0/24"] } });
    await assert.rejects(ctx.client.serviceUrl(sb.name, { port: 8080, access: "restricted" }),
      (e) => e instanceof LangSmithValidationError && e.field === "access");
  }, { proxyConfig: { access_control: { deny_list: ["203.0.113.9", "Blocked.Example"] } }, labels: { team: "a" } });

  const refused = [
    [{ proxyConfig: { rules: [{ name: "h", match_hosts: ["api.x.com"], headers: [{ name: "A", type: "plaintext", value: "b" }] }] } }, "rules"],
    [{ proxyConfig: { callbacks: [{ match_hosts: ["x.com"], ttl_seconds: 60, url: "https://cb.example" }] } }, "callbacks"],
    [{ proxyConfig: { access_control: { allow_list: ["~^api\\."] } } }, "allow_list"],
    [{ mountConfig: { mounts: [{ id: "g", type: "git", mount_path: "/src", git: { remote_url: "https://github.com/x/y.git" } }] } }, "mount_config"],
    [{ accessDelegation: { mode: "INHERIT" } }, "access_delegation"],
  ];
  for (const [options, field] of refused) {
    await assert.rejects(ctx.client.createSandbox({ name: uniqueName("refuse"), ...options }),
      (e) => e instanceof LangSmithValidationError && e.field === field && /not supported by the local server/.test(e.message), `${field} was not refused`);
  }
});
