package io.meridian.backup.kubernetes;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.KubernetesListBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.meridian.backup.storage.Hex;
import io.meridian.backup.storage.Manifest.ContentDigest;

/**
 * A region's namespace as a backup: the namespaced resources an application is made of
 * (ConfigMaps, Secrets, Services, ServiceAccounts, Deployments, StatefulSets, PersistentVolumeClaims),
 * stripped of what the API server owns (uid, resourceVersion, timestamps, managed fields, status,
 * allocated cluster IPs), as one JSON list; each resource's SHA-256 goes into the manifest, which is
 * what Velero lacks. Restoring re-checks every resource against those checksums before creating or
 * updating anything.
 */
@Component
public class NamespaceResources implements DisposableBean {

    private static final List<Class<? extends HasMetadata>> KINDS = List.of(ConfigMap.class, Secret.class, ServiceAccount.class,
            Service.class, PersistentVolumeClaim.class, Deployment.class, StatefulSet.class);

    private final KubernetesSerialization serialization = new KubernetesSerialization();
    private final Map<String, KubernetesClient> clients = new ConcurrentHashMap<>();

    /** An exported namespace: the document to store and the digest of each resource in it. */
    public record Export(byte[] document, List<ContentDigest> digests) {
    }

    private KubernetesClient client(String apiUrl) {
        return clients.computeIfAbsent(apiUrl, url -> new KubernetesClientBuilder().withKubernetesSerialization(serialization)
                .withConfig(new ConfigBuilder().withMasterUrl(url).withTrustCerts(true).withRequestRetryBackoffLimit(0)
                        .withRequestTimeout(20_000).withConnectionTimeout(5_000).build())
                .build());
    }

    /** Reads the namespace's resources from the cluster at {@code apiUrl}. */
    public Export export(String apiUrl, String namespace) {
        KubernetesClient client = client(apiUrl);
        List<HasMetadata> items = new ArrayList<>();
        for (Class<? extends HasMetadata> kind : KINDS) {
            for (HasMetadata item : client.resources(kind).inNamespace(namespace).list().getItems()) {
                if (!isClusterOwned(item)) {
                    items.add(clean(item));
                }
            }
        }
        items.sort(Comparator.comparing(NamespaceResources::id));
        KubernetesList list = new KubernetesListBuilder().withItems(items).build();
        List<ContentDigest> digests = items.stream().map(i -> new ContentDigest(id(i), 1, digest(i))).toList();
        return new Export(serialization.asJson(list).getBytes(StandardCharsets.UTF_8), digests);
    }

    /**
     * Parses a stored document and checks every resource against its digest.
     *
     * @return the resources, or throws {@link IllegalStateException} naming the first that differs
     */
    public List<HasMetadata> parse(byte[] document, List<ContentDigest> expected) {
        KubernetesList list = serialization.unmarshal(new String(document, StandardCharsets.UTF_8), KubernetesList.class);
        List<HasMetadata> items = list.getItems();
        if (items.size() != expected.size()) {
            throw new IllegalStateException("the document holds " + items.size() + " resources, the manifest lists " + expected.size());
        }
        for (int i = 0; i < items.size(); i++) {
            HasMetadata item = items.get(i);
            ContentDigest want = expected.get(i);
            if (!id(item).equals(want.name()) || !digest(item).equals(want.hash())) {
                throw new IllegalStateException("resource " + id(item) + " does not match the manifest's " + want.name() + " checksum");
            }
        }
        return items;
    }

    /**
     * What a restore did to a namespace, each resource as {@code Kind/name}.
     *
     * @param created  resources that did not exist
     * @param replaced resources that existed and were updated to the backup's version
     * @param deleted  resources of the backed-up kinds that were not in the backup (only with replace)
     */
    public record Applied(List<String> created, List<String> replaced, List<String> deleted) {
    }

    /**
     * Creates the namespace if missing, then creates or updates every resource in it; with
     * {@code replace}, also deletes the resources of the kinds a backup holds that are not in it (after
     * everything else is applied, so a failure half-way never leaves less than there was). Resources
     * the cluster owns (the default service account, its token secrets, the root CA config map) are
     * never touched.
     */
    public Applied apply(String apiUrl, String namespace, List<HasMetadata> items, boolean replace) {
        KubernetesClient client = client(apiUrl);
        if (client.namespaces().withName(namespace).get() == null) {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).create();
        }
        List<String> created = new ArrayList<>();
        List<String> replaced = new ArrayList<>();
        java.util.Set<String> wanted = new java.util.HashSet<>();
        for (HasMetadata item : items) {
            item.getMetadata().setNamespace(namespace);
            wanted.add(id(item));
            boolean existed = client.resource(item).inNamespace(namespace).get() != null;
            client.resource(item).inNamespace(namespace).createOr(NonDeletingOperation::update);
            (existed ? replaced : created).add(id(item));
        }
        List<String> deleted = new ArrayList<>();
        if (replace) {
            for (Class<? extends HasMetadata> kind : KINDS) {
                for (HasMetadata present : client.resources(kind).inNamespace(namespace).list().getItems()) {
                    if (!isClusterOwned(present) && !wanted.contains(id(present))) {
                        client.resource(present).inNamespace(namespace).delete();
                        deleted.add(id(present));
                    }
                }
            }
        }
        return new Applied(List.copyOf(created), List.copyOf(replaced), List.copyOf(deleted));
    }

    /** The resources now in the namespace, cleaned as a backup would store them (for comparisons). */
    public List<ContentDigest> digests(String apiUrl, String namespace) {
        return export(apiUrl, namespace).digests();
    }

    private static boolean isClusterOwned(HasMetadata item) {
        if (item instanceof Secret secret && "kubernetes.io/service-account-token".equals(secret.getType())) {
            return true;
        }
        if (item instanceof ServiceAccount && "default".equals(item.getMetadata().getName())) {
            return true;
        }
        if (item instanceof ConfigMap && "kube-root-ca.crt".equals(item.getMetadata().getName())) {
            return true;
        }
        return item instanceof Service && "kubernetes".equals(item.getMetadata().getName());
    }

    private HasMetadata clean(HasMetadata item) {
        HasMetadata copy = serialization.clone(item);
        ObjectMeta meta = copy.getMetadata();
        copy.setMetadata(new ObjectMetaBuilder().withName(meta.getName())
                .withLabels(meta.getLabels() == null || meta.getLabels().isEmpty() ? null : meta.getLabels())
                .withAnnotations(meta.getAnnotations() == null || meta.getAnnotations().isEmpty() ? null : meta.getAnnotations()).build());
        switch (copy) {
            case Service service when service.getSpec() != null -> {
                service.getSpec().setClusterIP(null);
                service.getSpec().setClusterIPs(null);
                service.setStatus(null);
            }
            case Deployment deployment -> deployment.setStatus(null);
            case StatefulSet statefulSet -> statefulSet.setStatus(null);
            case PersistentVolumeClaim claim -> {
                claim.setStatus(null);
                if (claim.getSpec() != null) {
                    claim.getSpec().setVolumeName(null);
                }
            }
            default -> {
            }
        }
        return copy;
    }

    private String digest(HasMetadata item) {
        HasMetadata copy = serialization.clone(item);
        copy.getMetadata().setNamespace(null);
        return Hex.sha256(serialization.asJson(copy).getBytes(StandardCharsets.UTF_8));
    }

    private static String id(HasMetadata item) {
        return item.getKind() + "/" + item.getMetadata().getName();
    }

    @Override
    public void destroy() {
        clients.values().forEach(KubernetesClient::close);
    }
}
