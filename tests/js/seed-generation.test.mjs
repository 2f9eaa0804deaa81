// The seed's generation of LangSmith sandboxes (templates, pools, volumes), driven by the real LangSmith JS SDK 0.5.21
// (`langsmith/experimental/sandbox`) against the local server: every call the SDK makes must work unchanged.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  SandboxClient,
  LangSmithResourceNotFoundError,
  LangSmithResourceInUseError,
  LangSmithResourceAlreadyExistsError,
  LangSmithSandboxAuthenticationError,
} from "langsmith-seed/experimental/sandbox";
import { startServer, uniqueName } from "./lib/server.mjs";

let server;
let client;

before(async () => {
  server = await startServer();
  client = new SandboxClient({ apiEndpoint: `${server.endpoint}/v2/sandboxes`, apiKey: server.apiKey, maxRetries: 0 });
});

after(async () => {
  if (client) {
    for (const sb of await client.listSandboxes().catch(() => [])) await sb.delete().catch(() => {});
    for (const p of await client.listPools().catch(() => [])) await client.deletePool(p.name).catch(() => {});
  }
  await server?.stop();
});

/** Creates a python sandbox for one test and deletes it after, whatever the test did. */
async function withSandbox(fn, options = {}) {
  const sb = await client.createSandbox("python", { name: uniqueName("js"), ...options });
  try {
    return await fn(sb);
  } finally {
    await sb.delete().catch(() => {});
  }
}

test("a wrong API key is an authentication error", async () => {
  const wrong = new SandboxClient({ apiEndpoint: `${server.endpoint}/v2/sandboxes`, apiKey: "wrong", maxRetries: 0 });
  await assert.rejects(wrong.listSandboxes(), LangSmithSandboxAuthenticationError);
});

test("templates: the seeded ones are listed; create, get, rename and delete one", async () => {
  const names = (await client.listTemplates()).map((t) => t.name);
  assert.ok(names.includes("python") && names.includes("base"), `seeded templates in ${names}`);

  const name = uniqueName("tpl");
  const created = await client.createTemplate(name, { image: "host", cpu: "1", memory: "256Mi" });
  assert.equal(created.name, name);
  assert.equal(created.image, "host");
  assert.equal(created.resources.memory, "256Mi");
  assert.equal((await client.getTemplate(name)).name, name);

  // 0.5.21 has no typed error for a template conflict: the server's 409 message reaches the user as it is.
  await assert.rejects(client.createTemplate(name, { image: "host" }), (e) => e.name === "LangSmithSandboxError" && /already exists/.test(e.message));
  // A registry image is 422 naming the field; 0.5.21 then fails on its own (it reads the body twice), so check the effect.
  const refused = uniqueName("tpl");
  await assert.rejects(client.createTemplate(refused, { image: "docker.io/python:3.12" }));
  await assert.rejects(client.getTemplate(refused), LangSmithResourceNotFoundError);

  const renamed = uniqueName("tpl");
  assert.equal((await client.updateTemplate(name, { newName: renamed })).name, renamed);
  await client.deleteTemplate(renamed);
  await assert.rejects(client.getTemplate(renamed), LangSmithResourceNotFoundError);
});

test("sandboxes: create from a template, run a command, read status, list, rename, delete", async () => {
  const name = uniqueName("js");
  const sb = await client.createSandbox("python", { name, ttlSeconds: 600 });
  try {
    assert.equal(sb.name, name);
    assert.equal(sb.status, "ready");
    assert.equal(sb.template_name, "python");
    assert.equal(sb.ttl_seconds, 600);

    const result = await sb.run("python --version");
    assert.equal(result.exit_code, 0);
    assert.match(result.stdout, /^Python 3\./);

    assert.equal((await client.getSandboxStatus(name)).status, "ready");
    assert.ok((await client.listSandboxes()).some((s) => s.name === name));

    const renamed = uniqueName("js");
    assert.equal((await client.updateSandbox(name, renamed)).name, renamed);
    await client.deleteSandbox(renamed);
    await assert.rejects(client.getSandbox(renamed), LangSmithResourceNotFoundError);
  } finally {
    await sb.delete().catch(() => {});
  }
});

test("sandboxes: an unknown template and a taken name are refused", async () => {
  // 400 TemplateNotFound: 0.5.21 reads the body twice on this path, so it reports only the status (as against the service).
  await assert.rejects(client.createSandbox("no-such-template", { name: uniqueName("js") }), (e) => e.name === "LangSmithSandboxError" && /400/.test(e.message));
  await withSandbox(async (sb) => {
    await assert.rejects(client.createSandbox("python", { name: sb.name }), (e) => e.name === "LangSmithSandboxError" && /409/.test(e.message));
    assert.equal((await client.listSandboxes()).filter((s) => s.name === sb.name).length, 1);
  });
});

test("commands: exit codes, stderr, env and cwd", async () => {
  await withSandbox(async (sb) => {
    const failed = await sb.run("echo out; echo err >&2; exit 3");
    assert.equal(failed.exit_code, 3);
    assert.equal(failed.stdout, "out\n");
    assert.equal(failed.stderr, "err\n");

    const env = await sb.run("echo $GREETING; pwd", { env: { GREETING: "hello" }, cwd: "/tmp" });
    assert.equal(env.stdout, "hello\n/tmp\n");
  });
});

test("commands: streaming callbacks see every line in order", async () => {
  await withSandbox(async (sb) => {
    const seen = [];
    const result = await sb.run("for i in 1 2 3; do echo line$i; sleep 0.1; done", { onStdout: (d) => seen.push(d) });
    assert.equal(result.exit_code, 0);
    assert.equal(seen.join(""), "line1\nline2\nline3\n");
  });
});

test("commands: a handle (wait: false) streams chunks, and reconnect resumes from an offset", async () => {
  await withSandbox(async (sb) => {
    const handle = await sb.run("for i in 1 2 3 4; do echo chunk$i; sleep 0.2; done", { wait: false });
    let text = "";
    for await (const chunk of handle) {
      if (chunk.stream === "stdout") text += chunk.data;
    }
    const result = await handle.result;
    assert.equal(result.exit_code, 0);
    assert.equal(text, "chunk1\nchunk2\nchunk3\nchunk4\n");

    assert.ok(handle.commandId, "the server assigned a command id");
    const again = await sb.reconnect(handle.commandId, { stdoutOffset: "chunk1\n".length });
    let rest = "";
    for await (const chunk of again) {
      if (chunk.stream === "stdout") rest += chunk.data;
    }
    assert.equal(rest, "chunk2\nchunk3\nchunk4\n");
    assert.equal((await again.result).exit_code, 0);
  });
});

test("commands: a command that outlives its timeout is ended", async () => {
  await withSandbox(async (sb) => {
    const started = Date.now();
    await assert.rejects(sb.run("sleep 30", { timeout: 1 }));
    assert.ok(Date.now() - started < 20_000, "ended well before the command would have");
  });
});

test("files: write then read text and bytes; a missing file is not found", async () => {
  await withSandbox(async (sb) => {
    await sb.write("/tmp/hello.txt", "hello from js\n");
    assert.equal(new TextDecoder().decode(await sb.read("/tmp/hello.txt")), "hello from js\n");

    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    await sb.write("/tmp/bytes.bin", bytes);
    assert.deepEqual(Buffer.from(await sb.read("/tmp/bytes.bin")), Buffer.from(bytes));
    assert.equal((await sb.run("wc -c < /tmp/bytes.bin")).stdout.trim(), "256");

    await assert.rejects(sb.read("/tmp/does-not-exist"), LangSmithResourceNotFoundError);
  });
});

test("stop and start keep the sandbox's files", async () => {
  await withSandbox(async (sb) => {
    await sb.write("/home/user/kept.txt", "kept");
    await sb.stop();
    assert.equal((await client.getSandboxStatus(sb.name)).status, "stopped");
    await sb.start({ timeout: 60 });
    assert.equal((await client.getSandboxStatus(sb.name)).status, "ready");
    assert.equal((await sb.run("cat /home/user/kept.txt")).stdout, "kept");
  });
});

test("volumes: create, list, grow, rename; in use by a template; delete", async () => {
  const name = uniqueName("vol");
  const vol = await client.createVolume(name, { size: "16Mi" });
  assert.equal(vol.name, name);
  assert.equal(vol.size, "16Mi");
  assert.ok((await client.listVolumes()).some((v) => v.name === name));
  assert.equal((await client.updateVolume(name, { size: "32Mi" })).size, "32Mi");

  const tpl = uniqueName("tpl");
  await client.createTemplate(tpl, { image: "host", volumeMounts: [{ volume_name: name, mount_path: "/data" }] });
  // A sandbox of that template sees the volume at its mount path.
  const sb = await client.createSandbox(tpl, { name: uniqueName("js") });
  try {
    await sb.run("echo persisted > /data/file");
    assert.equal((await sb.run("cat /data/file")).stdout, "persisted\n");
  } finally {
    await sb.delete();
  }
  await assert.rejects(client.deleteVolume(name), LangSmithResourceInUseError);
  await client.deleteTemplate(tpl);

  const renamed = uniqueName("vol");
  assert.equal((await client.updateVolume(name, { newName: renamed })).name, renamed);
  await client.deleteVolume(renamed);
  await assert.rejects(client.getVolume(renamed), LangSmithResourceNotFoundError);
});

test("pools: create with a warm replica, claim it through createSandbox, scale to zero, delete", async () => {
  const tpl = uniqueName("tpl");
  await client.createTemplate(tpl, { image: "host", cpu: "1", memory: "256Mi" });
  const name = uniqueName("pool");
  try {
    const pool = await client.createPool(name, { templateName: tpl, replicas: 1, timeout: 120 });
    assert.equal(pool.name, name);
    assert.equal(pool.replicas, 1);
    assert.ok((await client.listPools()).some((p) => p.name === name));
    await assert.rejects(client.createPool(name, { templateName: tpl, replicas: 1 }), LangSmithResourceAlreadyExistsError);

    const sb = await client.createSandbox(tpl, { name: uniqueName("js") });
    try {
      assert.equal((await sb.run("echo pooled")).stdout, "pooled\n");
    } finally {
      await sb.delete();
    }
    await assert.rejects(client.deleteTemplate(tpl), LangSmithResourceInUseError);

    assert.equal((await client.updatePool(name, { replicas: 0 })).replicas, 0);
  } finally {
    await client.deletePool(name).catch(() => {});
  }
  await assert.rejects(client.getPool(name), LangSmithResourceNotFoundError);
  await client.deleteTemplate(tpl);
});

test("snapshots: capture a sandbox, boot a new one from it, delete it", async () => {
  await withSandbox(async (sb) => {
    await sb.write("/home/user/state.txt", "captured");
    const snap = await sb.captureSnapshot(uniqueName("snap"), { timeout: 120 });
    assert.equal(snap.status, "ready");
    assert.ok((await client.listSnapshots()).some((s) => s.id === snap.id));
    assert.equal((await client.getSnapshot(snap.id)).id, snap.id);

    const copy = await client.createSandbox(undefined, { name: uniqueName("js"), snapshotId: snap.id });
    try {
      assert.equal((await copy.run("cat /home/user/state.txt")).stdout, "captured");
    } finally {
      await copy.delete();
    }
    await client.deleteSnapshot(snap.id);
    await assert.rejects(client.getSnapshot(snap.id), LangSmithResourceNotFoundError);
  });
});
