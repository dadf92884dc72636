// PZEM-004T v3.0 over Modbus RTU (9600 8N1): frame building and parsing, register
// scaling, the energy reset command, and a Sensor on a SerialPort.
//
// Read input registers (function 0x04) 0x0000..0x0009:
//   0x0000 voltage, 0.1 V          0x0001/0x0002 current, 0.001 A (32-bit, low word first)
//   0x0003/0x0004 power, 0.1 W     0x0005/0x0006 energy, 1 Wh (32-bit, low word first)
//   0x0007 frequency, 0.1 Hz       0x0008 power factor, 0.01
//   0x0009 alarm: 0xFFFF = power above the alarm threshold, 0x0000 = not
// Reset energy (function 0x42): request `addr 0x42 CRC`, echoed on success,
// `addr 0xC2 code CRC` on error. Address 0xF8 is the general address (one
// device on the bus answers whatever its own address is).
#pragma once

#include <cstddef>
#include <cstdint>

#include "meter/hal.h"
#include "meter/measurement.h"

namespace meter {
namespace pzem {

constexpr uint8_t kGeneralAddress = 0xF8;
constexpr uint8_t kReadInput = 0x04;
constexpr uint8_t kResetEnergy = 0x42;
constexpr uint16_t kRegisterCount = 10;
constexpr size_t kReadRequestSize = 8;
constexpr size_t kReadResponseSize = 5 + 2 * kRegisterCount;  // addr fn count data[20] crc[2]
constexpr size_t kResetSize = 4;
constexpr size_t kExceptionSize = 5;

enum class Status {
  ok,
  no_answer,       // nothing (or too little) arrived before the timeout
  bad_crc,         // corrupted on the wire
  wrong_address,   // another device answered
  wrong_function,  // not an answer to this request
  bad_length,      // byte count or frame size inconsistent
  exception,       // the device answered with a Modbus exception
};

const char* status_name(Status status);

// The 8-byte read request for registers 0x0000..0x0009; returns its size.
size_t build_read_request(uint8_t address, uint8_t* out);
// The 4-byte energy reset request; returns its size.
size_t build_reset_energy(uint8_t address, uint8_t* out);

// Register values -> SI units (energy in Wh in Measurement::energy_wh).
Measurement scale(const uint16_t (&registers)[kRegisterCount]);

// Parses the answer to build_read_request(address). `exception_code` (if not
// null) receives the code of an exception answer.
Status parse_read_response(const uint8_t* frame, size_t size, uint8_t address, Measurement& out,
                           uint8_t* exception_code = nullptr);
Status parse_reset_response(const uint8_t* frame, size_t size, uint8_t address, uint8_t* exception_code = nullptr);

}  // namespace pzem

// A PZEM-004T v3 on a UART.
class Pzem004t : public Sensor {
 public:
  explicit Pzem004t(SerialPort& port, uint8_t address = pzem::kGeneralAddress, uint32_t timeout_ms = 200)
      : port_(port), address_(address), timeout_ms_(timeout_ms) {}
  const char* name() const override { return "PZEM-004T"; }
  bool read(Measurement& out) override;
  // Function 0x42: the PZEM's own energy counter back to 0 (the meter's
  // published total does not go down: EnergyCounter takes it as a restart).
  bool reset_energy();
  pzem::Status last_status() const { return last_status_; }

 private:
  SerialPort& port_;
  uint8_t address_;
  uint32_t timeout_ms_;
  pzem::Status last_status_ = pzem::Status::ok;
};

}  // namespace meter
