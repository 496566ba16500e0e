package io.meridian.stack.local;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.databind.JsonNode;

import io.meridian.stack.Jdk;

/**
 * How the stack runs one service JVM: its command line and environment. The start ({@link StackUp}) and the
 * once-per-build training of the startup caches ({@link StackPrepare}) both build their commands here, so a cache is
 * trained with the very options and arguments it will be used with (the JVM refuses a cache recorded otherwise).
 *
 * @param home        the stack's data directory
 * @param seeds       the regions
 * @param publicKey   the PEM public key tokens are verified with
 * @param credentials the S3 keys
 */
record ServiceLaunch(StackHome home, List<RegionSeeds.Seed> seeds, Path publicKey, S3Server.Credentials credentials) {

    /** A command and the variables added to the launcher's environment. */
    record Launch(List<String> command, Map<String, String> env) {
    }

    /**
     * The launch of {@code service} from {@code jar}.
     *
     * @param name       the instance's name ({@link StackUp#FAILOVER_WITNESS} for the second failover instance)
     * @param port       its HTTP port
     * @param jvmOptions added to the service's own JVM options (class-cache options, system properties)
     * @param extraArgs  added after the service's own arguments
     */
    Launch of(Services service, Path jar, String name, int port, List<String> jvmOptions, List<String> extraArgs) {
        return of(service, jar, name, port, jvmOptions, extraArgs,
                "jdbc:postgresql://127.0.0.1:" + StackUp.CONTROL_PLANE_PORT + "/" + StackUp.CONTROL_PLANE_DATABASE,
                "127.0.0.1:" + StackUp.KAFKA_PORT, home.dataDir());
    }

    /**
     * The launch of {@code service} against another control-plane database and Kafka, with another
     * {@code MERIDIAN_HOME} (the training runs of {@link StackPrepare}, which must not touch the stack's own data).
     */
    Launch of(Services service, Path jar, String name, int port, List<String> jvmOptions, List<String> extraArgs,
            String controlPlane, String kafka, Path meridianHome) {
        List<String> command = service.command(Jdk.javaExecutable(), jar, publicKey, home.logs().resolve(name + ".log"),
                controlPlane, kafka, jvmOptions);
        if (port != service.port()) {
            command.replaceAll(arg -> arg.equals("--server.port=" + service.port()) ? "--server.port=" + port : arg);
        }
        if (service == Services.FAILOVER) {
            command.add("--meridian.failover.instance-id=" + name);
            // the service's local-stack profile manages the us-east-1 primary and its us-west-2 standby, whose
            // data directories it finds under MERIDIAN_HOME (to fence and re-seed them through their host)
            command.add("--spring.profiles.active=local-stack");
            // only the two database observers count: the gateway's passive observations see the sample apps, which
            // may answer while the database behind them is gone (see docs/runbooks/failover.md)
            command.add("--meridian.failover.quorum.accept=failover-");
        }
        if (service == Services.GATEWAY) {
            command.addAll(liveTrafficArguments());
        }
        command.addAll(extraArgs);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("AWS_ACCESS_KEY_ID", credentials.accessKeyId());
        env.put("AWS_SECRET_ACCESS_KEY", credentials.secretAccessKey());
        env.put("AWS_REGION", "us-east-1");
        env.put("KUBECONFIG", home.kubeconfig().toString());
        env.put("MERIDIAN_HOME", meridianHome.toString());
        return new Launch(command, env);
    }

    /**
     * The gateway's live traffic in the stack: the seeded routing policies' services by host name (requests to the
     * gateway's own address go to {@code sample}), each region's sample app as its upstream.
     */
    private List<String> liveTrafficArguments() {
        List<String> args = new ArrayList<>();
        int i = 0;
        for (JsonNode policy : RegionSeeds.routingPolicies()) {
            String service = policy.path("service").asString();
            String prefix = "--meridian.gateway.traffic.routes[" + i++ + "].";
            args.add(prefix + "host=" + service + ".localhost");
            args.add(prefix + "service=" + service);
            JsonNode zones = policy.path("residencyZones");
            if (zones.size() == 1) {
                args.add(prefix + "zone=" + zones.get(0).asString());
            }
        }
        args.add("--meridian.gateway.traffic.default-service=sample");
        for (RegionSeeds.Seed seed : seeds) {
            args.add("--meridian.gateway.traffic.upstreams." + seed.id() + "=http://127.0.0.1:" + seed.appPort());
        }
        return args;
    }
}
