// ListRange<T>: the items of a paged list, fetched a page at a time as the caller reads.
//
//   for (const StatusOr<Instance>& i : client.ListInstances(tenant)) {
//     if (!i.ok()) { report(i.status()); break; }  // an error is the range's last element
//     use(*i);
//   }
//
// Pages are fetched on demand with the list's page_size and the server's opaque
// next_page_token; nothing is fetched before begin(). A failed fetch (after the client's
// retries) is yielded as one non-OK element and ends the range. For raw page access (a CLI
// printing one page and its token) use NextPage() instead of iterating; do not mix the two on
// one range.
// Thread-safety: a range is a single-pass input range owned by one thread; it may outlive
// the Client that made it (it keeps what it needs).
#pragma once

#include <cstddef>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gaon/model/json_io.h"
#include "gaon/status.h"

namespace gaon {

struct ListOptions {
  int page_size = 0;       // items per page; 0: the server's default (50). At most 1000.
  std::string page_token;  // start at this page (a next_page_token from an earlier page)
};

template <typename T>
class ListRange {
 public:
  // Fetches the page that `page_token` names ("" for the first).
  using FetchPage = std::function<StatusOr<Page<T>>(const std::string& page_token)>;

  ListRange(FetchPage fetch, std::string first_page_token)
      : fetch_(std::move(fetch)), next_token_(std::move(first_page_token)) {}
  ListRange(ListRange&&) noexcept = default;
  ListRange& operator=(ListRange&&) noexcept = default;
  ListRange(const ListRange&) = delete;
  ListRange& operator=(const ListRange&) = delete;

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = StatusOr<T>;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    iterator() = default;
    reference operator*() const { return *range_->current_; }
    pointer operator->() const { return &*range_->current_; }
    iterator& operator++() {
      range_->Advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) { return a.at_end() == b.at_end(); }

   private:
    friend class ListRange;
    explicit iterator(ListRange* range) : range_(range) {}
    bool at_end() const { return range_ == nullptr || !range_->current_.has_value(); }
    ListRange* range_ = nullptr;
  };

  // Fetches the first page (once) and points at the first element.
  iterator begin() {
    if (!started_) {
      started_ = true;
      Advance();
    }
    return iterator(this);
  }
  iterator end() { return iterator(); }

  // The next page as the server sent it; after the last page, an empty page. Errors are
  // returned as they are and end the range.
  StatusOr<Page<T>> NextPage() {
    started_ = true;
    if (!next_token_) return Page<T>{};
    auto page = fetch_(*next_token_);
    if (!page.ok()) {
      next_token_.reset();
      return page;
    }
    next_token_ = page->next_page_token;
    return page;
  }
  // True when no page is left to fetch (the buffered items may still be unread).
  bool exhausted() const { return !next_token_.has_value(); }

 private:
  void Advance() {
    current_.reset();
    while (index_ >= buffer_.size()) {
      if (!next_token_) return;
      auto page = NextPage();
      if (!page.ok()) {
        current_.emplace(page.status());
        return;
      }
      buffer_ = std::move(page->items);
      index_ = 0;
    }
    current_.emplace(std::move(buffer_[index_++]));
  }

  FetchPage fetch_;
  std::optional<std::string> next_token_;  // nullopt: no page left
  std::vector<T> buffer_;
  std::size_t index_ = 0;
  std::optional<StatusOr<T>> current_;
  bool started_ = false;
};

// Every item of `range`, or its first error. Use it only for lists known to be small.
template <typename T>
StatusOr<std::vector<T>> CollectAll(ListRange<T> range) {
  std::vector<T> out;
  for (auto& item : range) {
    if (!item.ok()) return item.status();
    out.push_back(*item);
  }
  return out;
}

}  // namespace gaon
