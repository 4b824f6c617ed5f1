#include "http/connection_table.h"

#include <algorithm>

namespace fsgate::http {

const char* ConnectionTable::Admit(const ConnectionPtr& c, std::vector<ConnectionPtr>& evicted) {
  std::lock_guard lock(mu_);
  if (stopping_) return "shutdown";
  auto open_of = [&](const std::string& client) {
    auto it = clients_.find(client);
    return it == clients_.end() ? size_t{0} : it->second.open;
  };
  if (open_of(c->client) >= max_per_client_ && !EvictIdlest(c->client, evicted)) {
    return "--max-connections-per-client";
  }
  while (open_ >= max_connections_) {
    const std::string* busiest = BusiestClientWithParked();
    if (!busiest || !EvictIdlest(std::string(*busiest), evicted)) return "--max-connections";
  }
  ++clients_[c->client].open;
  ++open_;
  c->state = OpenConnection::State::kBusy;
  all_.insert(c.get());
  return nullptr;
}

bool ConnectionTable::Park(const ConnectionPtr& c) {
  std::lock_guard lock(mu_);
  if (c->state != OpenConnection::State::kBusy) return false;
  if (stopping_) {
    Unlink(*c);
    return false;
  }
  c->state = OpenConnection::State::kParked;
  c->parked_since = Clock::now();
  if (c->stalled_parser) {
    c->listed = OpenConnection::Listed::kStalled;
    c->stalled_at = stalled_.emplace(c->header_deadline, c);
  } else {
    c->listed = OpenConnection::Listed::kIdle;
    c->parked_at = parked_.insert(parked_.end(), c);
    ++clients_[c->client].parked;
  }
  return true;
}

bool ConnectionTable::Unpark(OpenConnection& c) {
  std::lock_guard lock(mu_);
  if (c.state != OpenConnection::State::kParked) return false;
  Unlist(c);  // may drop a reference, never the caller's last
  c.state = OpenConnection::State::kBusy;
  return true;
}

void ConnectionTable::Remove(OpenConnection& c) {
  std::lock_guard lock(mu_);
  if (c.state == OpenConnection::State::kBusy) Unlink(c);
}

// Takes a parked `c` off the list it waits in.
void ConnectionTable::Unlist(OpenConnection& c) {
  if (c.listed == OpenConnection::Listed::kIdle) {
    --clients_[c.client].parked;
    parked_.erase(c.parked_at);
  } else if (c.listed == OpenConnection::Listed::kStalled) {
    stalled_.erase(c.stalled_at);
  }
  c.listed = OpenConnection::Listed::kNowhere;
}

void ConnectionTable::Unlink(OpenConnection& c) {
  if (c.state == OpenConnection::State::kParked) Unlist(c);
  auto client = clients_.find(c.client);
  if (--client->second.open == 0) clients_.erase(client);
  --open_;
  all_.erase(&c);
  c.state = OpenConnection::State::kGone;
  if (open_ == 0) empty_.notify_all();
}

bool ConnectionTable::EvictIdlest(const std::string& client, std::vector<ConnectionPtr>& evicted) {
  auto it = std::find_if(parked_.begin(), parked_.end(),
                         [&](const ConnectionPtr& p) { return p->client == client; });
  if (it == parked_.end()) return false;
  ConnectionPtr victim = *it;
  Unlink(*victim);
  evicted.push_back(std::move(victim));
  return true;
}

const std::string* ConnectionTable::BusiestClientWithParked() const {
  const std::string* busiest = nullptr;
  size_t most = 0;
  for (const auto& [client, counts] : clients_) {
    if (counts.parked > 0 && counts.open > most) {
      most = counts.open;
      busiest = &client;
    }
  }
  return busiest;
}

std::vector<ConnectionTable::ConnectionPtr> ConnectionTable::TakeIdle(
    Clock::time_point now, Clock::duration idle_timeout) {
  std::vector<ConnectionPtr> idle;
  std::lock_guard lock(mu_);
  while (!parked_.empty() && parked_.front()->parked_since + idle_timeout <= now) {
    idle.push_back(parked_.front());
    Unlink(*idle.back());
  }
  return idle;
}

std::vector<ConnectionTable::ConnectionPtr> ConnectionTable::TakeStalled(Clock::time_point now) {
  std::vector<ConnectionPtr> due;
  std::lock_guard lock(mu_);
  while (!stalled_.empty() && stalled_.begin()->first <= now) {
    due.push_back(stalled_.begin()->second);
    Unlist(*due.back());
  }
  return due;
}

std::optional<ConnectionTable::Clock::time_point> ConnectionTable::NextDeadline(
    Clock::duration idle_timeout) {
  std::lock_guard lock(mu_);
  std::optional<Clock::time_point> next;
  if (!parked_.empty()) next = parked_.front()->parked_since + idle_timeout;
  if (!stalled_.empty() && (!next || stalled_.begin()->first < *next)) {
    next = stalled_.begin()->first;
  }
  return next;
}

std::vector<ConnectionTable::ConnectionPtr> ConnectionTable::CloseAll() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  for (OpenConnection* c : all_) c->closing = true;
  std::vector<ConnectionPtr> parked(parked_.begin(), parked_.end());
  for (auto& c : parked) Unlink(*c);
  // A stalled header section stays: woken, its request is read to the end
  // (within the read timeout) and answered, with Connection: close.
  while (!stalled_.empty()) {
    parked.push_back(stalled_.begin()->second);
    Unlist(*parked.back());
  }
  return parked;
}

void ConnectionTable::WaitEmpty() {
  std::unique_lock lock(mu_);
  empty_.wait(lock, [&] { return open_ == 0; });
}

size_t ConnectionTable::size() {
  std::lock_guard lock(mu_);
  return open_;
}

}  // namespace fsgate::http
