#include "meter/pzem004t.h"

#include "meter/crc16.h"

namespace meter {
namespace pzem {

const char* status_name(Status status) {
  switch (status) {
    case Status::ok:
      return "ok";
    case Status::no_answer:
      return "no answer";
    case Status::bad_crc:
      return "bad CRC";
    case Status::wrong_address:
      return "wrong address";
    case Status::wrong_function:
      return "wrong function";
    case Status::bad_length:
      return "bad length";
    case Status::exception:
      return "exception";
  }
  return "?";
}

size_t build_read_request(uint8_t address, uint8_t* out) {
  out[0] = address;
  out[1] = kReadInput;
  out[2] = 0x00;  // first register, high byte
  out[3] = 0x00;
  out[4] = 0x00;  // register count, high byte
  out[5] = static_cast<uint8_t>(kRegisterCount);
  append_crc16(out, 6);
  return kReadRequestSize;
}

size_t build_reset_energy(uint8_t address, uint8_t* out) {
  out[0] = address;
  out[1] = kResetEnergy;
  append_crc16(out, 2);
  return kResetSize;
}

static uint32_t low_word_first(uint16_t low, uint16_t high) {
  return static_cast<uint32_t>(low) | (static_cast<uint32_t>(high) << 16);
}

Measurement scale(const uint16_t (&r)[kRegisterCount]) {
  Measurement m;
  m.voltage = r[0] * 0.1;
  m.current = low_word_first(r[1], r[2]) * 0.001;
  m.power = low_word_first(r[3], r[4]) * 0.1;
  m.energy_wh = static_cast<double>(low_word_first(r[5], r[6]));
  m.frequency = r[7] * 0.1;
  m.power_factor = r[8] * 0.01;
  m.alarm = r[9] == 0xFFFF;
  return m;
}

// The checks common to every answer: size, CRC, address, function or exception.
static Status check_frame(const uint8_t* frame, size_t size, uint8_t address, uint8_t function,
                          uint8_t* exception_code) {
  if (size < kExceptionSize - 1) {
    return Status::no_answer;
  }
  if (!check_crc16(frame, size)) {
    return Status::bad_crc;
  }
  if (address != kGeneralAddress && frame[0] != address) {
    return Status::wrong_address;
  }
  if (frame[1] == (function | 0x80U)) {
    if (size != kExceptionSize) {
      return Status::bad_length;
    }
    if (exception_code != nullptr) {
      *exception_code = frame[2];
    }
    return Status::exception;
  }
  if (frame[1] != function) {
    return Status::wrong_function;
  }
  return Status::ok;
}

Status parse_read_response(const uint8_t* frame, size_t size, uint8_t address, Measurement& out,
                           uint8_t* exception_code) {
  const Status status = check_frame(frame, size, address, kReadInput, exception_code);
  if (status != Status::ok) {
    return status;
  }
  if (size != kReadResponseSize || frame[2] != 2 * kRegisterCount) {
    return Status::bad_length;
  }
  uint16_t registers[kRegisterCount];
  for (size_t i = 0; i < kRegisterCount; ++i) {
    registers[i] = static_cast<uint16_t>((frame[3 + 2 * i] << 8) | frame[4 + 2 * i]);
  }
  out = scale(registers);
  return Status::ok;
}

Status parse_reset_response(const uint8_t* frame, size_t size, uint8_t address, uint8_t* exception_code) {
  const Status status = check_frame(frame, size, address, kResetEnergy, exception_code);
  if (status != Status::ok) {
    return status;
  }
  return size == kResetSize ? Status::ok : Status::bad_length;
}

}  // namespace pzem

bool Pzem004t::read(Measurement& out) {
  uint8_t request[pzem::kReadRequestSize];
  uint8_t answer[pzem::kReadResponseSize];
  port_.discard_input();
  const size_t size = pzem::build_read_request(address_, request);
  if (!port_.write(request, size)) {
    last_status_ = pzem::Status::no_answer;
    return false;
  }
  const size_t got = port_.read(answer, sizeof answer, timeout_ms_);
  Measurement m;
  last_status_ = pzem::parse_read_response(answer, got, address_, m);
  if (last_status_ != pzem::Status::ok) {
    return false;
  }
  out = m;
  return true;
}

bool Pzem004t::reset_energy() {
  uint8_t request[pzem::kResetSize];
  uint8_t answer[pzem::kExceptionSize];
  port_.discard_input();
  const size_t size = pzem::build_reset_energy(address_, request);
  if (!port_.write(request, size)) {
    last_status_ = pzem::Status::no_answer;
    return false;
  }
  const size_t got = port_.read(answer, sizeof answer, timeout_ms_);
  last_status_ = pzem::parse_reset_response(answer, got, address_);
  return last_status_ == pzem::Status::ok;
}

}  // namespace meter
