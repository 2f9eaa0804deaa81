#!/usr/bin/env node
// Syntax check of PowerShell files without PowerShell: parses every .ps1, .psd1 and .psm1 file under the
// given paths (files or directories; default: the repository root) with web-tree-sitter and the
// tree-sitter-powershell grammar, prints each file that has a syntax error with the line and column of its
// first ERROR or MISSING node, and exits 1 if any file has one (2 on a usage error).
//
//   node tools/ps-syntax/check.mjs [--quiet] [PATH...]
//
// Directories named node_modules, bin, obj, out, TestResults and .git are skipped. See README.md for the
// grammar's known false positives.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const extensions = new Set(['.ps1', '.psd1', '.psm1']);
const skippedDirs = new Set(['node_modules', 'bin', 'obj', 'out', 'TestResults', '.git', '.vs']);

function usage(message) {
  if (message) console.error(`ps-syntax: ${message}`);
  console.error('usage: node check.mjs [--quiet] [PATH...]   (default PATH: the repository root)');
  process.exit(2);
}

const args = process.argv.slice(2);
let quiet = false;
const roots = [];
for (const arg of args) {
  if (arg === '--quiet' || arg === '-q') quiet = true;
  else if (arg === '--help' || arg === '-h') usage();
  else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
  else roots.push(path.resolve(arg));
}
if (roots.length === 0) roots.push(repoRoot);

const wasm = path.join(here, 'node_modules', 'tree-sitter-powershell', 'tree-sitter-powershell.wasm');
let Parser, Language;
try {
  ({ Parser, Language } = await import('web-tree-sitter'));
  await stat(wasm);
} catch {
  console.error(`ps-syntax: the parser is not installed; run: npm ci --prefix ${path.relative(process.cwd(), here) || '.'} --ignore-scripts`);
  process.exit(2);
}

async function* walk(dir) {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skippedDirs.has(entry.name)) yield* walk(full);
    } else if (entry.isFile() && extensions.has(path.extname(entry.name).toLowerCase())) {
      yield full;
    }
  }
}

async function collect() {
  const files = [];
  for (const root of roots) {
    let info;
    try {
      info = await stat(root);
    } catch {
      usage(`no such file or directory: ${root}`);
    }
    if (info.isDirectory()) {
      for await (const file of walk(root)) files.push(file);
    } else {
      files.push(root);  // an explicitly named file is checked whatever its extension
    }
  }
  return [...new Set(files)];
}

// The first ERROR or MISSING node in document order (pre-order walk of the whole tree).
function firstProblem(root) {
  const cursor = root.walk();
  for (;;) {
    const node = cursor.currentNode;
    if (node.isError || node.isMissing) return node;
    // Descend only where an error lies below; otherwise move on to the next sibling or up.
    if (node.hasError && cursor.gotoFirstChild()) continue;
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) return root;  // hasError was set but no node found: report the root
    }
  }
}

function excerpt(source, node) {
  const line = source.split(/\r?\n/)[node.startPosition.row] ?? '';
  return line.trim().slice(0, 100);
}

await Parser.init();
const PS = await Language.load(wasm);
const parser = new Parser();
parser.setLanguage(PS);

const files = await collect();
let bad = 0;
for (const file of files) {
  const shown = path.relative(process.cwd(), file) || file;
  let source = await readFile(file, 'utf8');
  if (source.charCodeAt(0) === 0xfeff) source = source.slice(1);  // byte order mark
  const tree = parser.parse(source);
  if (!tree) {
    console.log(`${shown}: the parser gave no tree`);
    bad++;
    continue;
  }
  if (tree.rootNode.hasError) {
    const node = firstProblem(tree.rootNode);
    const { row, column } = node.startPosition;
    const what = node.isMissing ? `missing '${node.type}'` : 'unexpected input (ERROR)';
    console.log(`${shown}:${row + 1}:${column + 1}: syntax error: ${what}: ${excerpt(source, node)}`);
    bad++;
  } else if (!quiet) {
    console.log(`${shown}: ok`);
  }
  tree.delete();
}
parser.delete();

console.log(`ps-syntax: ${files.length} file(s) checked, ${bad} with syntax errors`);
process.exit(bad > 0 ? 1 : 0);
