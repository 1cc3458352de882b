// One persistent pool of helper threads for the GEMM router's split routes, shared by the whole process (every
// worker_thread that loads the addon and every concurrent training).
//
// Between jobs a helper polls for 200 µs, yielding the core at every turn, then sleeps on a condition variable: a
// step's next split product starts without a 30-100 µs wake-up, and a runnable OpenBLAS worker or another training
// always gets the core first (no spinning against them). One job runs at a time; a caller that finds the pool busy runs
// all the parts itself, in order. A part's work never depends on which thread runs it, so results stay the same either
// way.
#pragma once

namespace dnn {

// Runs work(context, part) for part = 0 .. parts-1: part 0 on the calling thread, the others on helpers (started
// on first use, kept for the life of the process); returns when all are done.
void run_parts(int parts, void (*work)(void* context, int part), void* context);

}  // namespace dnn
