package s3import

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/floe-s3/floe/metadata"
)

// idOf is the progress row ID of key's version v.
func idOf(key string, v version) metadata.ImportID {
	return metadata.ImportID{Key: key, VersionID: v.id}
}

// process copies it's pending versions in order. The first one that
// fails stops the key: a later version must not overtake it.
func (im *importer) process(ctx context.Context, it *item) {
	prevDest := it.prevDest
	for i, v := range it.versions {
		if ctx.Err() != nil {
			return
		}
		log := im.cfg.Log.With().Str("bucket", it.job.pair.Source).Str("key", it.key).Str("version", v.id).Logger()
		if row, ok := it.rows[idOf(it.key, v)]; ok && row.State == metadata.ImportCopying {
			dest, landed, err := im.resume(ctx, it, v, row, prevDest)
			if err != nil {
				log.Warn().Err(err).Msg("cannot tell whether an interrupted copy landed; copying again")
			}
			if landed {
				if err := im.progress.ImportDone(ctx, it.job.ipair, idOf(it.key, v), dest); err != nil {
					log.Error().Err(err).Msg("recording a copy found finished")
					im.stats.failed.Add(int64(len(it.versions) - i))
					return
				}
				log.Info().Str("dest_version", dest).Msg("found an interrupted copy finished on the destination")
				im.stats.landed.Add(1)
				prevDest = dest
				continue
			}
		}
		dest, err := im.copyWithRetries(ctx, it, v)
		if err != nil {
			if ctx.Err() == nil {
				log.Error().Err(err).Msg("copy failed")
				im.stats.failed.Add(int64(len(it.versions) - i))
			}
			return
		}
		prevDest = dest
	}
}

// copyWithRetries copies one version, trying again with backoff after
// transient failures, and keeps its progress row up to date.
func (im *importer) copyWithRetries(ctx context.Context, it *item, v version) (string, error) {
	j, id := it.job, idOf(it.key, v)
	row := metadata.ImportObject{Key: it.key, VersionID: v.id, DeleteMarker: v.deleteMarker, ETag: v.etag, Size: v.size}
	if v.lastModified != 0 {
		row.LastModified = timeOfMilli(v.lastModified)
	}
	for attempt := 0; ; attempt++ {
		// Recorded before any byte is written: a crash from here on
		// leaves a copying row for the next run to look into.
		_, err := call(ctx, im.cfg, "recording a copy's start", func(ctx context.Context) (struct{}, error) {
			return struct{}{}, im.progress.ImportStart(ctx, j.ipair, row)
		})
		if err != nil {
			return "", err
		}
		dest, err := im.copyVersion(ctx, j, it.key, v)
		if err == nil {
			_, err = call(ctx, im.cfg, "recording a finished copy", func(ctx context.Context) (struct{}, error) {
				return struct{}{}, im.progress.ImportDone(ctx, j.ipair, id, dest)
			})
			if err != nil {
				// The row stays copying; the next run finds the copy landed.
				return "", err
			}
			im.stats.copied.Add(1)
			im.stats.copiedBytes.Add(v.size)
			return dest, nil
		}
		if ctx.Err() != nil {
			return "", err // stopped: the row stays copying for the next run
		}
		if !transient(err) || attempt >= im.cfg.Retries {
			msg := err.Error()
			if _, ferr := call(ctx, im.cfg, "recording a failed copy", func(ctx context.Context) (struct{}, error) {
				return struct{}{}, im.progress.ImportFailed(ctx, j.ipair, id, msg)
			}); ferr != nil {
				err = errors.Join(err, ferr)
			}
			return "", fmt.Errorf("after %d attempts: %w", attempt+1, err)
		}
		im.cfg.Log.Debug().Err(err).Str("key", it.key).Int("attempt", attempt+1).Msg("copy failed; retrying")
		if err := sleep(ctx, backoff(attempt)); err != nil {
			return "", err
		}
	}
}

// resume looks into a copy that a run left in flight: it aborts the
// row's multipart upload, if any, and reports whether the destination
// shows the write landed (see the package doc) and as which version.
func (im *importer) resume(ctx context.Context, it *item, v version, row metadata.ImportObject, prevDest string) (string, bool, error) {
	j := it.job
	if row.UploadID != "" {
		im.abort(ctx, j.pair.Dest, it.key, row.UploadID)
	}
	head, err := call(ctx, im.cfg, "checking the destination", func(ctx context.Context) (*s3.HeadObjectOutput, error) {
		return im.dst.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(j.pair.Dest), Key: aws.String(it.key)})
	})
	if isStatus(err, 404) {
		// A delete marker as the current version answers 404 too.
		var re *awshttp.ResponseError
		if v.deleteMarker && errors.As(err, &re) && re.Response.Header.Get("X-Amz-Delete-Marker") == "true" {
			dest := re.Response.Header.Get("X-Amz-Version-Id")
			return dest, dest != "" && dest != prevDest, nil
		}
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	if v.deleteMarker || !sameETag(aws.ToString(head.ETag), v.etag) || aws.ToInt64(head.ContentLength) != v.size {
		return "", false, nil
	}
	dest := aws.ToString(head.VersionId)
	if j.versioned && dest == prevDest {
		return "", false, nil // the older version's copy, not this one
	}
	return dest, true, nil
}
