import { pathToFileURL } from "node:url";
const { Evaluator, createProgram, createNodeHost } = await import(pathToFileURL(".bench/evaluator.mjs").href);
const program = createProgram(createNodeHost(".bench/repo-1000"), { today: "2026-11-21" });
const m = program.emit().policies.map((p) => p.manifest);
const ev = new Evaluator(m, { clusterName: "default" });
const pods = [];
for (let i = 0; i < 1000; i++) { const ns = `t${String(i).padStart(4,"0")}`; pods.push({ kind: "pod", namespace: ns, labels: { app: "api" } }); }
const flows = [];
for (let i = 0; i < 200000; i++) flows.push({ source: pods[i % 1000], destination: { kind: "world", ip: `100.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }, protocol: "TCP", port: 1 + (i * 7919) % 65535 });
const t = performance.now(); let c = 0; for (const f of flows) if (ev.evaluate(f).verdict === "dropped") c++; console.log(c, ((performance.now() - t) * 5).toFixed(0), "ms per 1M distinct peers");
import { Session } from "node:inspector/promises";
const flows2 = [];
for (let i = 0; i < 100000; i++) flows2.push({ source: pods[i % 1000], destination: { kind: "world", ip: `101.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }, protocol: "TCP", port: 1 + (i * 7919) % 65535 });
const s = new Session(); s.connect(); await s.post("Profiler.enable"); await s.post("Profiler.start");
for (const f of flows2) ev.evaluate(f);
const { profile: p } = await s.post("Profiler.stop");
const self=new Map();const byId=new Map(p.nodes.map(n=>[n.id,n]));
p.samples.forEach((sm,i)=>{const n=byId.get(sm);const k=n.callFrame.functionName+":"+n.callFrame.columnNumber;self.set(k,(self.get(k)||0)+(p.timeDeltas[i]||0));});
console.log([...self].sort((a,b)=>b[1]-a[1]).slice(0,14).map(([k,v])=>(v/1000).toFixed(0)+"ms "+k).join("\n"))
