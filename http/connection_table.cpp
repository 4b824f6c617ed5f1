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
  c->parked_at = parked_.insert(parked_.end(), c);
  ++clients_[c->client].parked;
  return true;
}

bool ConnectionTable::Unpark(OpenConnection& c) {
  std::lock_guard lock(mu_);
  if (c.state != OpenConnection::State::kParked) return false;
  --clients_[c.client].parked;
  c.state = OpenConnection::State::kBusy;
  parked_.erase(c.parked_at);  // may drop a reference, never the caller's last
  return true;
}

void ConnectionTable::Remove(OpenConnection& c) {
  std::lock_guard lock(mu_);
  if (c.state == OpenConnection::State::kBusy) Unlink(c);
}

void ConnectionTable::Unlink(OpenConnection& c) {
  auto client = clients_.find(c.client);
  if (c.state == OpenConnection::State::kParked) --client->second.parked;
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
  ConnectionPtr victim = std::move(*it);
  parked_.erase(it);
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
    idle.push_back(std::move(parked_.front()));
    parked_.pop_front();
    Unlink(*idle.back());
  }
  return idle;
}

std::optional<ConnectionTable::Clock::time_point> ConnectionTable::OldestParked() {
  std::lock_guard lock(mu_);
  if (parked_.empty()) return std::nullopt;
  return parked_.front()->parked_since;
}

std::vector<ConnectionTable::ConnectionPtr> ConnectionTable::CloseAll() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  for (OpenConnection* c : all_) c->closing = true;
  std::vector<ConnectionPtr> parked(parked_.begin(), parked_.end());
  parked_.clear();
  for (auto& c : parked) Unlink(*c);
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
