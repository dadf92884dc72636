// A bounded FIFO allocated once: when full, the oldest element is dropped (and
// counted) to make room for the newest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace meter {

template <typename T>
class RingBuffer {
 public:
  explicit RingBuffer(size_t capacity) : capacity_(capacity > 0 ? capacity : 1), items_(new T[capacity_]) {}

  size_t capacity() const { return capacity_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Elements dropped because the buffer was full, since construction.
  uint32_t dropped() const { return dropped_; }

  // Appends `item`; true when the oldest element had to be dropped for it.
  bool push(const T& item) {
    bool dropped = false;
    if (size_ == capacity_) {
      head_ = (head_ + 1) % capacity_;
      --size_;
      ++dropped_;
      dropped = true;
    }
    items_[(head_ + size_) % capacity_] = item;
    ++size_;
    return dropped;
  }

  // The `index`-th element, oldest first (index < size()).
  const T& at(size_t index) const { return items_[(head_ + index) % capacity_]; }
  T& at(size_t index) { return items_[(head_ + index) % capacity_]; }

  // Removes the `count` oldest elements (all of them if fewer).
  void pop_front(size_t count) {
    if (count >= size_) {
      clear();
      return;
    }
    head_ = (head_ + count) % capacity_;
    size_ -= count;
  }

  void clear() {
    head_ = 0;
    size_ = 0;
  }

 private:
  size_t capacity_;
  std::unique_ptr<T[]> items_;
  size_t head_ = 0;
  size_t size_ = 0;
  uint32_t dropped_ = 0;
};

}  // namespace meter
