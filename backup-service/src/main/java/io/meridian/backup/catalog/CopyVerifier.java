package io.meridian.backup.catalog;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.springframework.stereotype.Component;

import io.meridian.backup.storage.BackupObjects;
import io.meridian.backup.storage.Manifest;
import io.meridian.backup.storage.ObjectVerifier;
import io.meridian.common.problem.MeridianException;

/** Re-reads every copy of a backup and checks it against the manifest (itself checked against the catalog). */
@Component
public class CopyVerifier {

    private final BackupRepository repository;
    private final BackupObjects objects;

    CopyVerifier(BackupRepository repository, BackupObjects objects) {
        this.repository = repository;
        this.objects = objects;
    }

    /**
     * What the verification found.
     *
     * @param allOk   every copy matched (and there was at least one)
     * @param summary one line per copy
     */
    public record Outcome(boolean allOk, String summary) {
    }

    /** Verifies every copy that is not deleted; updates each copy's status. */
    public Outcome verifyAll(UUID id) {
        Backup backup = repository.find(id).orElseThrow(() -> MeridianException.notFound("backup", id.toString()));
        List<String> lines = new ArrayList<>();
        boolean ok = true;
        int checked = 0;
        for (Backup.Copy copy : backup.copies()) {
            if (copy.status().equals("DELETED")) {
                continue;
            }
            if (copy.status().equals("FAILED") || copy.status().equals("PENDING")) {
                ok = false;
                lines.add(copy.region() + ": not available (" + copy.detail() + ")");
                continue;
            }
            checked++;
            Result result = verify(backup, copy);
            repository.copy(id, copy.region(), copy.bucket(), copy.objectKey(), copy.manifestKey(), result.ok() ? "VERIFIED" : "CORRUPT",
                    result.detail(), true);
            lines.add(copy.region() + ": " + (result.ok() ? "verified" : "CORRUPT: " + result.detail()));
            ok &= result.ok();
        }
        return new Outcome(ok && checked > 0, checked == 0 ? "no copy to verify" : String.join("; ", lines));
    }

    /**
     * One copy's verdict.
     *
     * @param ok     matched
     * @param detail what was found
     */
    public record Result(boolean ok, String detail) {
    }

    /** Checks one copy: manifest against the catalog, then every byte against the manifest. */
    public Result verify(Backup backup, Backup.Copy copy) {
        if (backup.manifestSha256() == null) {
            return new Result(false, "the backup has no manifest");
        }
        try {
            Manifest manifest = objects.manifest(copy.region(), copy.manifestKey(), backup.manifestSha256());
            if (!manifest.backupId().equals(backup.id()) || !manifest.objectKey().equals(copy.objectKey())) {
                return new Result(false, "the manifest describes another backup (" + manifest.backupId() + ")");
            }
            ObjectVerifier.Result result = objects.verify(copy.region(), manifest);
            return new Result(result.ok(), result.detail());
        } catch (MeridianException e) {
            return new Result(false, e.getMessage());
        } catch (IOException | RuntimeException e) {
            return new Result(false, "could not read the copy: " + e.getMessage());
        }
    }
}
