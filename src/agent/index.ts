/**
 * agent/: the agent runtime (checks of local backends, heartbeats to every Overwatch over gossip,
 * deregistration on shutdown), its identity (key pair + certificate, TOFU-pinned by Overwatches),
 * its metrics, and the predictive health monitor (predictive/).
 */
export { Agent, type AgentOptions } from './agent.ts';
export { AgentMetrics } from './agent-metrics.ts';
export { loadOrCreateIdentity, agentIdFor, keyIdOf, type AgentIdentity } from './identity.ts';
export { PredictiveMonitor, type PredictiveHealthReport } from './predictive/index.ts';
