// One persistent pool of helper threads for the GEMM router's split routes, shared by the whole process (every
// worker_thread that loads the addon and every concurrent training).
//
// Helpers sleep on a condition variable between jobs: no spinning that would take a core from OpenBLAS's own
// threads or from another training. One job runs at a time; a caller that finds the pool busy runs all the parts
// itself, in order. A part's work never depends on which thread runs it, so results stay the same either way.
#pragma once

namespace dnn {

// Runs work(context, part) for part = 0 .. parts-1: part 0 on the calling thread, the others on helpers (started
// on first use, kept for the life of the process); returns when all are done.
void run_parts(int parts, void (*work)(void* context, int part), void* context);

}  // namespace dnn
