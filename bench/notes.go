package main

// tuningNotes is the tuning log: what the measurements led to change, with
// the before and after figures. Edit it when tuning.
const tuningNotes = `## Tuning

What the measurements showed, and what changed:

- **Heartbeats (changed, ` + "`activities/events.go`" + `).** The wait activity heartbeated once the moment it started, so every wait cost one heartbeat RPC (a write on the server, a billable action in Temporal Cloud) even when it ended within a second, which is every batch of an active session. The first heartbeat now comes one interval (10 s) after the start; the heartbeat timeout still covers the start, and a stop does not wait for the wait's cancellation. Throughput at N=200 before the change, in a separate run on this machine: 6.9 completions/s, 0.65× the no-op workflow (10.7/s); after: the N=200 rows of section 3. The command sequence of the workflow is unchanged (the replay test passes).
- **Heartbeat timeout (changed, ` + "`workflows/options.go`" + `).** For a long idle session, heartbeats are the product's only recurring Temporal cost. With the wait's heartbeat timeout at 30 s the SDK let one through per 24 s: about 150 billable actions per idle hour. It is now 60 s: one per 48 s, about 75 per hour, and a crashed worker's wait is retried within a minute (the fault suite's SIGKILL case covers it). It is an activity option, not a command: the replay test passes.
- **Session lookups (changed, ` + "`activities/create.go`" + `).** Create-or-adopt lists the sessions created around its POST; it asked for VB365's default page of 30, which cost 8.8 requests per restore at 500 concurrent restores. It now asks for pages of 1000.
- **Worker options (not changed).** At every size the dev server's CPU dominates (section 3), the worker stays far below 200 MB and its CPU is a fraction of the server's; more pollers or slots would only push more load onto the saturated server. The SDK defaults stay.
- **Payload sizes (not changed).** A wait result carries the session (about 0.5 KB) and only the new events; the report keeps at most 1,000 events. The history events per restore do not grow with idle time, so payloads do not either.
`

// methodNotes explains how the figures scale.
const methodNotes = `## How the figures scale

- **Simulated time.** Scenario 1 runs every poll-driven cost (polls, batches, timers) at 1/15 of real time by using a 1 s poll interval instead of 15 s: the number of poll intervals, hence polls, timers and history events, is the same as at 15 s over the stated idle time. That is a measurement, not a model. What runs on real time regardless of the poll interval, the heartbeats, is computed for the stated idle time from the SDK's throttle; the 24 h figures are the linear fit of the measured points carried to 1,440 minutes. The product's fit has a zero slope: its history depends on the number of batches, not on time.
- **VB365 requests** (scenario 2) are measured in real time at the default 15 s interval over a window of minutes; per idle session-minute they do not depend on the number of sessions (each wait polls on its own, and nothing is shared but the token). The steady state is 2 requests per minute per idle session; the early part of an idle stretch costs more (6 in its first minute), which the measured window partly includes.
- **Token renewals** are measured with a short token lifetime (the simulator's ` + "`--token-ttl`" + `, default 30 s here) and scaled by the client's renewal rule: it renews when 10% of the lifetime (at least 1 minute, at most half) remains, so every 15 s at a 30 s lifetime and every 54 minutes at the 60 min default. One client per worker, shared by every session: the renewal count per lifetime is the same with 1 or 500 sessions.
- **Throughput** is measured on 2 shared cores with the Temporal dev server (SQLite in memory), the simulator and the bench in the same machine: the server is the bottleneck, and the no-op workflow of the same shape shows where it sets the floor. A production Temporal service (or Temporal Cloud) removes that ceiling; the worker's own CPU per restore (worker CPU ÷ N) and memory are the figures that carry over.
- **What is not measured.** Billable heartbeats (computed), Temporal Cloud's real billing (the action list is approximate), latency of a real VB365 (the simulator answers in microseconds), and the 24 h session itself (extrapolated from 1-60 simulated minutes).
`
