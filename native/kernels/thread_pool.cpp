#include "thread_pool.hpp"

#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace dnn {
namespace {

// After a job a helper polls for the next one this long before it sleeps, and the caller polls this long for the
// helpers' parts before it sleeps. A step's split products come tens of microseconds apart, and waking a sleeping
// thread on this VM's other vCPU takes 30-100 µs (a condition-variable round trip, measured), as long as a small
// product's whole part. Polling yields the core at every turn (sched_yield), so a runnable OpenBLAS worker or another
// training on this core runs at once: the poll only uses a core nothing else wants.
constexpr auto kPollBeforeSleep = std::chrono::microseconds(200);

template <typename Ready>
bool poll_until(Ready ready) {
  const auto deadline = std::chrono::steady_clock::now() + kPollBeforeSleep;
  for (;;) {
    if (ready()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    sched_yield();
  }
}

class ThreadPool {
 public:
  void run(int parts, void (*work)(void*, int), void* context) {
    std::unique_lock<std::mutex> job(job_mutex_, std::try_to_lock);
    if (parts <= 1 || !job.owns_lock()) {
      for (int part = 0; part < parts; ++part) work(context, part);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (helpers_ < parts - 1) {
        const int index = ++helpers_;
        // detached: the pool lives as long as the process; a joinable std::thread at exit would terminate it
        std::thread([this, index] { helper_loop(index); }).detach();
      }
      work_ = work;
      context_ = context;
      parts_ = parts;
      remaining_.store(parts - 1, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    work(context, 0);
    if (poll_until([this] { return remaining_.load(std::memory_order_acquire) == 0; })) return;
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return remaining_.load(std::memory_order_acquire) == 0; });
  }

 private:
  void helper_loop(int index) {
    unsigned long long seen = 0;
    for (;;) {
      void (*work)(void*, int);
      void* context;
      const auto posted = [&] { return generation_.load(std::memory_order_acquire) != seen; };
      poll_until(posted);
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, posted);
        seen = generation_.load(std::memory_order_relaxed);
        if (index >= parts_) continue;
        work = work_;
        context = context_;
      }
      work(context, index);
      // under the mutex, so the caller cannot miss the notify between its check and its wait
      std::lock_guard<std::mutex> lock(mutex_);
      if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) done_.notify_one();
    }
  }

  std::mutex job_mutex_;  // held by the one caller whose job runs
  std::mutex mutex_;      // guards the job description and the sleeps below
  std::condition_variable wake_, done_;
  std::atomic<unsigned long long> generation_{0};  // bumped once per job; helpers poll it
  std::atomic<int> remaining_{0};                  // helper parts not yet done; the caller polls it
  int helpers_ = 0, parts_ = 0;
  void (*work_)(void*, int) = nullptr;
  void* context_ = nullptr;
};

ThreadPool& pool() {
  // never destroyed: helpers may still be waiting on its condition variable when the process exits
  static ThreadPool* instance = new ThreadPool();
  return *instance;
}

}  // namespace

void run_parts(int parts, void (*work)(void*, int), void* context) { pool().run(parts, work, context); }

}  // namespace dnn
