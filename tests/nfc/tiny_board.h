// nfc/tiny_board.h: an emulated PN532 board (support/pn532_emulator.h) with the tiny card
// (nfc/tiny_card.h) for the libnfc transport, watcher and pcscd driver tests.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "nfc/tiny_card.h"
#include "support/pn532_emulator.h"

namespace idtap::testing {

// TinyBoard: an emulated PN532 board started with `options`, and the tiny card, placed in its
// field as a card of `type` when `with_card`.
struct TinyBoard {
  std::unique_ptr<Pn532Emulator> emu;
  std::shared_ptr<TinyCard> card = std::make_shared<TinyCard>();

  explicit TinyBoard(bool with_card = true, Pn532Card::Type type = Pn532Card::Type::kA, Pn532Emulator::Options options = {}) {
    emu = Pn532Emulator::start(std::move(options)).value();
    if (with_card) insert(type);
  }
  // card_of: the tiny card as a card of `type` in the field.
  Pn532Card card_of(Pn532Card::Type type = Pn532Card::Type::kA) const {
    Pn532Card c;
    c.type = type;
    c.application = card;
    return c;
  }
  // insert: the tiny card enters the field (again).
  void insert(Pn532Card::Type type = Pn532Card::Type::kA) { emu->place_card(card_of(type)); }
  // connstring: the board's libnfc connstring ("pn532_uart:" + its port).
  std::string connstring() const { return emu->connstring(); }
};

}  // namespace idtap::testing
