// ThreadPool: a fixed set of threads running queued jobs in FIFO order. The HTTP layer hands
// every handler that touches the database to one, so a slow query never stalls an I/O thread.
// Thread-safety: Submit and Stop may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gaon {

class ThreadPool {
 public:
  explicit ThreadPool(int threads, std::string name = "worker");
  ~ThreadPool();  // Stop()
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `job`. Returns false (and drops the job) once Stop() has begun.
  bool Submit(std::function<void()> job);
  // Runs the jobs already queued, then joins the threads. Idempotent.
  void Stop();

  std::size_t queued() const;
  int busy() const;
  int size() const { return static_cast<int>(threads_.size()); }

 private:
  void Run();
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  int busy_ = 0;
  bool stopping_ = false;
};

}  // namespace gaon
