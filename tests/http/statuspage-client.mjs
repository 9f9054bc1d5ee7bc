// statuspage-client.mjs BASE: reads every endpoint of Hindsight's v2 API
// with the npm `statuspage.io` client (t0089), as a Statuspage user's
// script would, and checks what it parsed. Prints PASS/FAIL lines; exits 1
// on any failure.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Statuspage } = require("statuspage.io");
const base = process.argv[2];
let nFail = 0;

function check(name, ok, detail) {
  if (ok) {
    console.log("PASS " + name);
  } else {
    nFail++;
    console.log("FAIL " + name + (detail ? "\n    " + detail : ""));
  }
}

const sp = new Statuspage("hindsight");
// The client talks to https://<page>.statuspage.io; point it at ours.
sp.apiClient.defaults.baseURL = base;

const isoOffset = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/;

async function main() {
  const summary = await sp.api.getSummary();
  check("client: summary parsed", summary && summary.page && Array.isArray(summary.components));
  check("client: summary page id", summary.page.id === "hindsight", JSON.stringify(summary.page));
  check("client: summary page url is the configured base URL", summary.page.url === "https://status.example.test");
  check("client: summary time has an offset", isoOffset.test(summary.page.updated_at), summary.page.updated_at);
  check("client: summary status", typeof summary.status.indicator === "string" && typeof summary.status.description === "string");
  check("client: summary incidents", Array.isArray(summary.incidents) && summary.incidents.length === 1);
  check("client: summary maintenances", Array.isArray(summary.scheduled_maintenances));

  const status = await sp.api.getStatus();
  check("client: status indicator", status.status.indicator === "major", JSON.stringify(status.status));

  const comps = await sp.api.getComponents();
  check("client: components parsed", Array.isArray(comps.components) && comps.components.length >= 2);
  const c = comps.components.find((x) => x.name === "Checkout");
  check("client: component fields", c && typeof c.id === "string" && c.status === "partial_outage" && typeof c.position === "number");

  const all = await sp.api.incidents.getAll();
  check("client: incidents parsed", Array.isArray(all.incidents) && all.incidents.length === 2);
  const inc = all.incidents.find((x) => x.name === "Client test");
  check("client: incident has updates", inc && Array.isArray(inc.incident_updates) && inc.incident_updates.length === 1);
  check("client: update's affected components", inc && inc.incident_updates[0].affected_components[0].new_status === "partial_outage");
  check("client: incident shortlink uses the base URL", inc && inc.shortlink.startsWith("https://status.example.test/incidents/"), inc && inc.shortlink);

  const unresolved = await sp.api.incidents.getUnresolved();
  check("client: unresolved parsed", Array.isArray(unresolved.incidents) && unresolved.incidents.length === 1);

  const mAll = await sp.api.scheduledMaintenances.getAll();
  check("client: scheduled maintenances (all) parsed", Array.isArray(mAll.scheduled_maintenances));
  const mUp = await sp.api.scheduledMaintenances.getUpcoming();
  check("client: upcoming maintenances parsed", Array.isArray(mUp.scheduled_maintenances) && mUp.scheduled_maintenances.length === 1);
  check("client: upcoming one is scheduled", mUp.scheduled_maintenances[0].status === "scheduled");
  const mAct = await sp.api.scheduledMaintenances.getActive();
  check("client: active maintenances parsed", Array.isArray(mAct.scheduled_maintenances));

  // The client asks for active.json through upcoming.json; ask the rest
  // through its own axios instance, as a script using it would.
  for (const p of ["/api/v2/scheduled-maintenances/active.json", "/api/v2/incidents/unresolved.json",
                   "/api/v2/scheduled-maintenances.json"]) {
    const { data, headers } = await sp.apiClient.get(p);
    check("client: " + p + " parsed", data && data.page && data.page.id === "hindsight");
    check("client: " + p + " CORS", headers["access-control-allow-origin"] === "*");
  }
}

main().then(
  () => process.exit(nFail ? 1 : 0),
  (e) => {
    console.log("FAIL client: " + (e && e.message));
    process.exit(1);
  },
);
