package io.mdocker;

import io.mdocker.internal.net.ContainerNetwork;
import io.mdocker.internal.net.PortProxy;

import java.util.List;

/** Turns a definition's {@link Network} and published ports into the internal plan. */
final class NetworkPlans {
    private NetworkPlans() {}

    /**
     * Checks the plan against the host and binds the published ports (see
     * {@link ContainerNetwork#prepare}); for a detached container the monitor binds them instead.
     */
    static ContainerNetwork prepare(Container spec, boolean detached) {
        Network n = spec.network();
        ContainerNetwork.Kind kind = switch (n.mode()) {
            case NONE -> ContainerNetwork.Kind.NONE;
            case HOST -> ContainerNetwork.Kind.HOST;
            case BRIDGE -> ContainerNetwork.Kind.BRIDGE;
            case VETH -> ContainerNetwork.Kind.VETH;
        };
        List<PortProxy.Spec> ports = spec.ports().stream()
                .map(p -> new PortProxy.Spec(p.hostIp(), p.hostPort(), p.containerPort())).toList();
        ContainerNetwork.Plan plan = new ContainerNetwork.Plan(kind, n.bridgeName(), n.gatewayIpv4(),
                n.fixedAddressValue(), n.hostIpv4(), n.containerIpv4(), ports);
        try {
            return ContainerNetwork.prepare(plan, spec.runtime().runRoot(), spec.runtime().libRoot(), !detached);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ContainerException("checking the network " + n + ": " + e.getMessage(), e);
        }
    }
}
