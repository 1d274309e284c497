#!/usr/bin/env node
/*
 * ann-summary.js RESULTS_DIR — tables and the ef-sweep plot data of one
 * bench/ann-bench.sh run.
 *
 * Reads ours_<set>_*.json(l), bandwidth.json and others.json from the
 * directory and writes summary.md (the markdown tables that go into
 * docs/BENCHMARKS.md), ann-sweep.dat (one block per system and dataset:
 * recall, queries/s, ef) and ef-sweep.gp (a gnuplot script drawing
 * ef-sweep.png).  "At recall >= 0.95" picks, per system, the smallest swept
 * ef whose recall@10 reaches 0.95 and reports its p50; the int8 floor is
 * n * dim bytes over the best single-thread read bandwidth measured.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node ann-summary.js RESULTS_DIR');
  process.exit(2);
}
const rd = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
const rdOpt = (f) => (fs.existsSync(path.join(dir, f)) ? rd(f) : null);
const lines = (f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

const machine = rdOpt('machine.json') || {};
const bw = rdOpt('bandwidth.json');
const others = rdOpt('others.json') || { datasets: {}, versions: {} };
const sets = fs.readdirSync(dir).filter((f) => /^ours_.*_bench\.jsonl$/.test(f)).map((f) => f.slice(5, -12));
const f1 = (x) => (x == null ? '–' : Number(x).toFixed(1));
const f2 = (x) => (x == null ? '–' : Number(x).toFixed(2));
const f3 = (x) => (x == null ? '–' : Number(x).toFixed(3));

let md = `Machine: ${machine.cpu || '?'}, ${machine.cores || '?'} cores, SIMD ${machine.simd || '?'}; `;
md += `HNSW M = ${machine.m}, ef_construction = ${machine.efc}; k = 10, one thread, 200 queries.\n`;
if (bw) md += `Best single-thread read bandwidth: ${f2(bw.read_gbps_best)} GB/s (median ${f2(bw.read_gbps_median)}).\n`;
md += `hnswlib-node ${others.versions['hnswlib-node'] || '–'}, usearch ${others.versions.usearch || '–'}.\n\n`;

let dat = '';
const plots = [];
md += '### Build, open, size, memory\n\n| dataset | system | build s (wall) | build CPU s | open s | file / index MB | RSS MB |\n|---|---|---:|---:|---:|---:|---:|\n';
const sweeps = {};
for (const s of sets) {
  const b = rd(`ours_${s}_build_time.json`);
  const o = rd(`ours_${s}_open_time.json`);
  const open = rd(`ours_${s}_open.json`);
  const st = rd(`ours_${s}_stats.json`);
  const bt = rd(`ours_${s}_bench_time.json`);
  const cpu = b.cpu_s != null ? b.cpu_s + (b.sys_s || 0) : null;
  md += `| ${s} | sqlite-vector | ${f2(b.wall_s)} | ${f2(cpu)} | ${f3(o.wall_s)} (load ${f1(open.load_ms)} ms) | ${f1(st.file_size / 1e6)} | ${f1(bt.max_rss_kb / 1024)} |\n`;
  const ds = (others.datasets || {})[s];
  for (const sys of ds ? ds.systems : []) {
    md += `| ${s} | ${sys.system} | ${f2(sys.build_s)} | ${f2(sys.build_cpu_s)} | ${f3(sys.open_s)} | ${f1(sys.file_bytes / 1e6)} | +${f1(sys.rss_delta_mb)} (index only) |\n`;
  }
  const ours = lines(`ours_${s}_bench.jsonl`);
  sweeps[s] = { 'sqlite-vector': ours.filter((r) => r.mode === 'hnsw').map((r) => ({ ef: r.ef, recall: r.recall, p50_ms: r.p50_ms, qps: r.qps })) };
  for (const sys of ds ? ds.systems : []) sweeps[s][sys.system] = sys.sweep;
  sweeps[s].scans = ours.filter((r) => r.mode !== 'hnsw');
  sweeps[s].n = ours[0].count;
  sweeps[s].dim = ours[0].dim;
}

md += '\n### Scans: exact, int8 and binary with exact rescoring\n\n| dataset | mode | recall@10 | p50 ms | p95 ms | int8 floor ms | p50 / floor |\n|---|---|---:|---:|---:|---:|---:|\n';
for (const s of sets) {
  const bytes = sweeps[s].n * sweeps[s].dim;
  const floor = bw ? (bytes / (bw.read_gbps_best * 1e9)) * 1e3 : null;
  for (const r of sweeps[s].scans) {
    const ratio = r.mode === 'quantized' && floor ? f2(r.p50_ms / floor) : '';
    md += `| ${s} | ${r.mode} | ${f3(r.recall)} | ${f3(r.p50_ms)} | ${f3(r.p95_ms)} | ${r.mode === 'quantized' ? f3(floor) : ''} | ${ratio} |\n`;
  }
}

md += '\n### HNSW at recall@10 >= 0.95 (smallest swept ef that reaches it)\n\n| dataset | system | ef | recall@10 | p50 ms | queries/s |\n|---|---|---:|---:|---:|---:|\n';
for (const s of sets) {
  for (const [sys, rows] of Object.entries(sweeps[s])) {
    if (!Array.isArray(rows) || sys === 'scans') continue;
    const hit = rows.find((r) => r.recall >= 0.95);
    md += hit ? `| ${s} | ${sys} | ${hit.ef} | ${f3(hit.recall)} | ${f3(hit.p50_ms)} | ${f1(hit.qps)} |\n` : `| ${s} | ${sys} | – | never | | |\n`;
  }
}

md += '\n### ef sweep\n\n| dataset | system | ef | recall@10 | p50 ms | queries/s |\n|---|---|---:|---:|---:|---:|\n';
let block = 0;
for (const s of sets) {
  for (const [sys, rows] of Object.entries(sweeps[s])) {
    if (!Array.isArray(rows) || sys === 'scans') continue;
    dat += `# ${s} ${sys}\n`;
    for (const r of rows) {
      md += `| ${s} | ${sys} | ${r.ef} | ${f3(r.recall)} | ${f3(r.p50_ms)} | ${f1(r.qps)} |\n`;
      dat += `${r.recall} ${r.qps} ${r.ef}\n`;
    }
    dat += '\n\n';
    plots.push(`'ann-sweep.dat' index ${block++} using 1:2 with linespoints title '${sys} ${s}'`);
  }
}
fs.writeFileSync(path.join(dir, 'summary.md'), md);
fs.writeFileSync(path.join(dir, 'ann-sweep.dat'), dat);
const gp = `set terminal pngcairo size 1000,650 noenhanced font ",11"
set output '${path.join(dir, 'ef-sweep.png')}'
cd '${dir}'
set title 'ef sweep: recall@10 vs queries/s (k=10, one thread, M=${machine.m}, ef_construction=${machine.efc})'
set xlabel 'recall@10'
set ylabel 'queries per second'
set logscale y
set grid
set key outside right
plot ${plots.join(', \\\n     ')}
`;
fs.writeFileSync(path.join(dir, 'ef-sweep.gp'), gp);
process.stdout.write(md);
