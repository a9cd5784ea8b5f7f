// dbvp firmware — error values. Firmware never throws across the HAL: functions return a status (or a
// result<T>) with a code and a human-readable message.
#pragma once

#include <string>
#include <utility>

namespace dbvp::fw {

enum class errc {
    ok = 0,
    invalid_argument, // bad parameter (Linux -EINVAL)
    no_device,        // hardware/resource absent (-ENODEV)
    no_space,         // out of windows, entries, IDs (-ENOSPC)
    busy,             // already allocated (-EBUSY)
    timed_out,        // hardware did not respond in time (-ETIMEDOUT)
    io_error,         // bus error on an access (-EIO)
    not_supported,    // feature not offered (-EOPNOTSUPP)
    out_of_range,     // index outside the valid range (-ERANGE)
};

const char* to_string(errc e);

class status {
public:
    status() = default;
    status(errc code, std::string message) : code_(code), message_(std::move(message)) {}
    static status ok() { return {}; }

    explicit operator bool() const { return code_ == errc::ok; }
    errc code() const { return code_; }
    const std::string& message() const { return message_; }

private:
    errc code_ = errc::ok;
    std::string message_;
};

template <class T> class result {
public:
    result(T value) : value_(std::move(value)) {}
    result(status st) : status_(std::move(st)) {}
    explicit operator bool() const { return static_cast<bool>(status_); }
    const status& error() const { return status_; }
    T& value() { return value_; }
    const T& value() const { return value_; }
    T* operator->() { return &value_; }
    const T* operator->() const { return &value_; }

private:
    T value_{};
    status status_;
};

} // namespace dbvp::fw
