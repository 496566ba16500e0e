package io.meridian.backup.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import io.meridian.common.region.ResidencyZone;

/**
 * Settings of the backup service ({@code meridian.backup.*}).
 *
 * @param regions           the managed regions by id: zone, database, bucket, Kubernetes API. The regions region-service
 *                          publishes on {@code meridian.region-events} take precedence; these are the bootstrap and fill in
 *                          what the registry does not carry (database user, data root)
 * @param s3                how to reach the S3 API
 * @param partSize          size of each multipart-upload part (and of each checksummed part of a manifest), at least 5 MB
 * @param uploadBuffers     parts buffered at once per upload (one is filled while the others upload); heap per upload is
 *                          {@code partSize * uploadBuffers}, plus up to 8 uploaded parts waiting to be hashed together when parts
 *                          are hashed in vector lanes
 * @param downloadParts     parts a restore (and a restore test) reads at once (ranged GETs of up to three consecutive parts, so 9 is three
 *                          GETs); each part is checked before it is extracted, and the heap holds about
 *                          {@code partSize * (downloadParts + 3)}, or {@code partSize * (downloadParts + 8)} when parts are hashed
 *                          in vector lanes (the JVM started with {@code --add-modules jdk.incubator.vector}; see
 *                          {@code storage.PartDigests}): 136 MB with the defaults
 * @param workDir           scratch directory for restores (the verified download pg_restore -j reads, extracted base backups)
 * @param pgBin             directory with pg_dump, pg_restore and pg_basebackup; default: the newest /usr/lib/postgresql/N/bin
 * @param logicalCompression how logical backups are compressed: {@code PG_DUMP} (pg_dump's own single-threaded gzip at level
 *                          {@code dumpCompression}; the default) or {@code ZSTD} (pg_dump writes its archive uncompressed and
 *                          the service compresses the stream with zstd on {@code zstdWorkers} threads beside pg_dump: about
 *                          half the backup time of level 6 and a smaller object, but restores decompress the whole archive to
 *                          disk before pg_restore starts)
 * @param dumpCompression   pg_dump -Z level (0-9) when {@code logicalCompression} is {@code PG_DUMP}. Default 1, not pg_dump's own
 *                          default (6): pg_dump compresses on its one thread, so its gzip level decides how long a dump takes;
 *                          level 1 takes about half the CPU of level 6 for an archive a few per cent larger (2.5 % on the
 *                          benchmark database), and pg_restore reads either at the same speed
 * @param zstdLevel         zstd level (1-19) when {@code logicalCompression} is {@code ZSTD}
 * @param zstdWorkers       zstd compression threads beside the one reading pg_dump's output (0: compress on the reading thread)
 * @param restoreJobs       parallel jobs of pg_restore
 * @param schedulerTick     how often the scheduler looks for due policies (when it holds the lease)
 * @param lease             how long the scheduler lease lasts without renewal (a crashed holder frees it after this)
 * @param staleAfter        a running backup or restore whose heartbeat (database time) is older than this is taken over by the
 *                          scheduler lease holder and recovered as interrupted (its instance or worker died); at least twice
 *                          {@code heartbeat}
 * @param heartbeat         how often each instance renews the heartbeat of the runs and restores it works on
 * @param instanceName      this instance's name in the lease table and in work ownership; default: pid@host. Give a stable name
 *                          (the pod name of a StatefulSet) and a restarted instance recovers its previous incarnation's work at once
 * @param restartInterrupted start a fresh run in place of an interrupted backup run (same source, copies, verification)
 * @param maxAttempts       runs per backup request, the first one included, when interrupted runs are restarted
 * @param dataRoot          where physical restores write data directories ({@code <data-root>/<region>}) in regions that come
 *                          from region-service's registry without a {@code regions.<id>.data-root} of their own; unset: no
 *                          physical restores into such regions
 * @param physicalLayout    how a physical backup is stored: {@code PARTS} (the default), part objects of {@code partsPerObject}
 *                          consecutive parts beside the manifest, so nothing is assembled when the upload ends; or
 *                          {@code OBJECT}, one object from an S3 multipart upload, which the server assembles from its parts at
 *                          the end (s3proxy and other file-backed servers write every byte once more then: 12 s for 2.2 GB on
 *                          the benchmark machine).
 *                          Logical and Kubernetes backups are always one object, which {@code pg_restore} and people read as
 *                          it is
 * @param partsPerObject    consecutive parts in each part object ({@code PARTS}): 3 (24 MB objects of three 8 MB parts) by
 *                          default, so that a restore reads as few objects as the ranged reads of one object take (each
 *                          request costs the server and the client; one per 8 MB part made restores 1.5-3 s slower on 2.2 GB).
 *                          Each part keeps its own SHA-256 in the manifest; an upload holds at least twice this many part
 *                          buffers
 * @param restoreDirectIo   a physical restore writes the data files it extracts with {@code O_DIRECT}, past the page cache (the
 *                          default; where the file system refuses it, through the page cache): filling fresh page-cache pages
 *                          cost more system time than the whole write to the device on the benchmark machine, and the restored
 *                          files are read once, by PostgreSQL, later
 */
@ConfigurationProperties("meridian.backup")
public record BackupProperties(
        @DefaultValue Map<String, RegionSettings> regions,
        @DefaultValue S3 s3,
        @DefaultValue("8MB") DataSize partSize,
        @DefaultValue("3") int uploadBuffers,
        @DefaultValue("9") int downloadParts,
        @DefaultValue("${java.io.tmpdir}/meridian-backup") Path workDir,
        @Nullable Path pgBin,
        @DefaultValue("PG_DUMP") LogicalCompression logicalCompression,
        @DefaultValue("1") int dumpCompression,
        @DefaultValue("3") int zstdLevel,
        @DefaultValue("1") int zstdWorkers,
        @DefaultValue("2") int restoreJobs,
        @DefaultValue("5s") Duration schedulerTick,
        @DefaultValue("10m") Duration lease,
        @DefaultValue("30s") Duration staleAfter,
        @DefaultValue("5s") Duration heartbeat,
        @Nullable String instanceName,
        @DefaultValue("true") boolean restartInterrupted,
        @DefaultValue("2") int maxAttempts,
        @Nullable Path dataRoot,
        @DefaultValue("PARTS") ObjectLayout physicalLayout,
        @DefaultValue("3") int partsPerObject,
        @DefaultValue("true") boolean restoreDirectIo) {

    public BackupProperties {
        if (zstdLevel < 1 || zstdLevel > 19) {
            throw new IllegalArgumentException("meridian.backup.zstd-level must be 1-19, not " + zstdLevel);
        }
        if (zstdWorkers < 0 || zstdWorkers > 64) {
            throw new IllegalArgumentException("meridian.backup.zstd-workers must be 0-64, not " + zstdWorkers);
        }
        if (dumpCompression < 0 || dumpCompression > 9) {
            throw new IllegalArgumentException("meridian.backup.dump-compression must be 0-9, not " + dumpCompression);
        }
        if (partsPerObject < 1 || partsPerObject > 16) {
            throw new IllegalArgumentException("meridian.backup.parts-per-object must be 1-16, not " + partsPerObject);
        }
        if (staleAfter.compareTo(heartbeat.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("meridian.backup.stale-after (" + staleAfter + ") must be at least twice "
                    + "meridian.backup.heartbeat (" + heartbeat + "): a live run would be taken for a dead one");
        }
    }

    /** How logical backups are compressed (see {@code logicalCompression}). */
    public enum LogicalCompression {
        /** pg_dump -Z0, the stream compressed with zstd by the service. */
        ZSTD,
        /** pg_dump's own compression. */
        PG_DUMP
    }

    /**
     * One managed region.
     *
     * @param zone          its residency zone: backups of its data are copied and restored only within this zone
     * @param latitude      degrees north (to find the copy nearest a restore target)
     * @param longitude     degrees east
     * @param databaseHost  host of its PostgreSQL cluster
     * @param databasePort  port of its PostgreSQL cluster
     * @param databaseUser  role backups and restores connect as (a superuser or one with the needed rights)
     * @param bucket        its bucket
     * @param s3Endpoint    its S3 endpoint, when it differs from {@code meridian.backup.s3.endpoint}
     * @param kubernetesApi its Kubernetes API URL (namespace backups); unset: no Kubernetes backups here
     * @param dataRoot      where physical restores into this region write new data directories
     */
    public record RegionSettings(
            ResidencyZone zone,
            @DefaultValue("0") double latitude,
            @DefaultValue("0") double longitude,
            @DefaultValue("127.0.0.1") String databaseHost,
            int databasePort,
            @DefaultValue("postgres") String databaseUser,
            String bucket,
            @Nullable URI s3Endpoint,
            @Nullable URI kubernetesApi,
            @Nullable Path dataRoot) {
    }

    /**
     * The S3 API.
     *
     * @param endpoint        endpoint override (an S3-compatible server); unset: AWS
     * @param region          signing region
     * @param pathStyle       path-style addressing (S3-compatible servers on loopback need it)
     * @param accessKeyId     static access key; unset: the SDK's default chain (environment, profile, instance role)
     * @param secretAccessKey its secret
     * @param transitChecksum the checksum each uploaded part carries so that the server rejects a part damaged in transit:
     *                        {@code MD5} ({@code Content-MD5}, which every S3 API checks and pgBackRest sends too), {@code SHA256}
     *                        ({@code x-amz-checksum-sha256}; the server also keeps the part checksums, but an S3-compatible server
     *                        that computes them itself, such as s3proxy, hashes every byte twice more with SHA-256, once per
     *                        part and once more when the upload completes), or {@code NONE} (TLS only). Independent of it, the
     *                        manifest always holds every part's SHA-256, which verification and restores check
     */
    public record S3(@Nullable URI endpoint, @DefaultValue("us-east-1") String region, @DefaultValue("true") boolean pathStyle,
            @Nullable String accessKeyId, @Nullable String secretAccessKey, @DefaultValue("MD5") TransitChecksum transitChecksum) {
    }

    /** How a backup's bytes are laid out in a bucket (see {@code physicalLayout}). */
    public enum ObjectLayout {
        /** One object, written by a multipart upload and assembled by the server when it completes. */
        OBJECT,
        /** Part objects of a few consecutive parts each, {@code <object key>.parts/<six-digit index>}; nothing is assembled. */
        PARTS
    }

    /** The per-part checksum the S3 server checks on upload. */
    public enum TransitChecksum {
        /** {@code Content-MD5}. */
        MD5,
        /** {@code x-amz-checksum-sha256}, with the upload created for SHA-256 checksums. */
        SHA256,
        /** None: only TLS protects the part in transit. */
        NONE
    }
}
