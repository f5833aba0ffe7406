/**
 * The swarm as the dashboard's tables show it: tasks carry the names of their service and node (the
 * Docker API gives ids), and everything comes sorted so that the tables do not jump between polls.
 */
import type { SwarmInspector, SwarmNode, SwarmService, SwarmTask } from './swarm-inspector.js';

export interface SwarmTaskView extends SwarmTask {
  readonly serviceName: string;
  readonly nodeHostname: string | null;
}

export interface SwarmView {
  readonly nodes: readonly SwarmNode[];
  readonly services: readonly SwarmService[];
  readonly tasks: readonly SwarmTaskView[];
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export async function swarmView(inspector: SwarmInspector): Promise<SwarmView> {
  const [nodes, services, tasks] = await Promise.all([
    inspector.nodes(),
    inspector.services(),
    inspector.tasks(),
  ]);
  const hostnames = new Map(nodes.map((node) => [node.id, node.hostname]));
  const serviceNames = new Map(services.map((service) => [service.id, service.name]));
  const taskViews = tasks.map(
    (task): SwarmTaskView => ({
      ...task,
      serviceName: serviceNames.get(task.serviceId) ?? task.serviceId,
      nodeHostname: task.nodeId === null ? null : (hostnames.get(task.nodeId) ?? task.nodeId),
    }),
  );
  // Per service: the tasks meant to run before the history Docker keeps of replaced ones, newest first.
  const current = (task: SwarmTask) => (task.desiredState === 'shutdown' ? 1 : 0);
  taskViews.sort(
    (a, b) =>
      byText(a.serviceName, b.serviceName) ||
      current(a) - current(b) ||
      byText(b.updatedAt, a.updatedAt) ||
      byText(a.id, b.id),
  );
  return {
    nodes: nodes.sort((a, b) => byText(a.role, b.role) || byText(a.hostname, b.hostname)),
    services: services.sort((a, b) => byText(a.name, b.name)),
    tasks: taskViews,
  };
}
