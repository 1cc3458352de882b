#include "thread_pool.hpp"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace dnn {
namespace {

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
      remaining_ = parts - 1;
      ++generation_;
    }
    wake_.notify_all();
    work(context, 0);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return remaining_ == 0; });
  }

 private:
  void helper_loop(int index) {
    unsigned long long seen = 0;
    for (;;) {
      void (*work)(void*, int);
      void* context;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (index >= parts_) continue;
        work = work_;
        context = context_;
      }
      work(context, index);
      std::lock_guard<std::mutex> lock(mutex_);
      if (--remaining_ == 0) done_.notify_one();
    }
  }

  std::mutex job_mutex_;  // held by the one caller whose job runs
  std::mutex mutex_;      // guards everything below
  std::condition_variable wake_, done_;
  unsigned long long generation_ = 0;
  int helpers_ = 0, parts_ = 0, remaining_ = 0;
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
