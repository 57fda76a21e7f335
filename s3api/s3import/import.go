package s3import

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/floe-s3/floe/metadata"
)

// importer is one run of Run.
type importer struct {
	cfg      Config
	src, dst *s3.Client
	progress Progress // nil only in a dry run without a database
	stats    *stats
}

// Summary is what a run did.
type Summary struct {
	// Copied objects and versions (delete markers included) and their
	// bytes.
	Copied, CopiedBytes int64
	// Skipped were already copied and unchanged.
	Skipped int64
	// Landed were found finished on the destination after an
	// interrupted run, and marked done without copying.
	Landed int64
	// Failed after every retry (or were not tried because an older
	// version of their key failed).
	Failed int64
	// WouldCopy and WouldCopyBytes count what a dry run would copy.
	WouldCopy, WouldCopyBytes int64
}

// ErrFailed is returned, wrapped, by a run in which some objects failed.
var ErrFailed = errors.New("some objects failed to copy")

// Run imports the configured buckets. progress may be nil for a dry run.
// It returns what it did, and an error wrapping ErrFailed if some objects
// failed (their rows say why; a re-run tries them again).
func Run(ctx context.Context, cfg Config, progress Progress) (Summary, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Summary{}, err
	}
	if progress == nil && !cfg.DryRun {
		return Summary{}, errors.New("s3import: a progress store is required unless dry-running")
	}
	im := &importer{cfg: cfg, src: newClient(cfg.Source), dst: newClient(cfg.Dest), progress: progress, stats: &stats{}}
	jobs, err := im.jobs(ctx)
	if err != nil {
		return Summary{}, err
	}
	if l, ok := progress.(locker); ok && !cfg.DryRun {
		for _, j := range jobs {
			unlock, err := call(ctx, cfg, "locking bucket pair "+j.pair.Source+":"+j.pair.Dest, func(ctx context.Context) (func(), error) {
				return l.ImportLock(ctx, j.ipair)
			})
			if err != nil {
				return Summary{}, err
			}
			defer unlock()
		}
	}
	rep := newReporter(cfg, im.stats)
	defer rep.stop()

	items := make(chan *item, cfg.Workers*4)
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Go(func() {
			for it := range items {
				im.process(ctx, it)
			}
		})
	}
	var listErr error
	for _, j := range jobs {
		if err := im.list(ctx, j, func(it *item) error {
			if cfg.DryRun {
				im.printDry(it)
				return nil
			}
			select {
			case items <- it:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}); err != nil {
			listErr = fmt.Errorf("bucket %s: %w", j.pair.Source, err)
			break
		}
	}
	close(items)
	wg.Wait()
	rep.stop()
	sum := im.stats.summary()
	rep.printSummary(sum, cfg.DryRun)
	if listErr != nil {
		return sum, listErr
	}
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	if sum.Failed > 0 {
		return sum, fmt.Errorf("%d objects: %w (see the log; a re-run tries them again)", sum.Failed, ErrFailed)
	}
	return sum, nil
}

// jobs resolves the bucket pairs, learns whether each source bucket has
// versions, and (unless dry-running) prepares each destination bucket.
func (im *importer) jobs(ctx context.Context) ([]*job, error) {
	pairs := im.cfg.Buckets
	if im.cfg.AllBuckets {
		out, err := call(ctx, im.cfg, "listing the source's buckets", func(ctx context.Context) (*s3.ListBucketsOutput, error) {
			return im.src.ListBuckets(ctx, &s3.ListBucketsInput{})
		})
		if err != nil {
			return nil, err
		}
		for _, b := range out.Buckets {
			pairs = append(pairs, BucketPair{Source: aws.ToString(b.Name), Dest: aws.ToString(b.Name)})
		}
	}
	var jobs []*job
	for _, p := range pairs {
		j := &job{pair: p, ipair: metadata.ImportPair{SourceEndpoint: im.cfg.Source.URL, SourceBucket: p.Source, DestBucket: p.Dest}}
		v, err := call(ctx, im.cfg, "reading versioning of source bucket "+p.Source, func(ctx context.Context) (*s3.GetBucketVersioningOutput, error) {
			return im.src.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(p.Source)})
		})
		switch {
		case err != nil && isStatus(err, 404):
			return nil, err
		case err != nil:
			// A server without versioning may not know the call.
			im.cfg.Log.Warn().Err(err).Str("bucket", p.Source).Msg("cannot read the source bucket's versioning; copying current objects only")
		default:
			j.versioned = v.Status == types.BucketVersioningStatusEnabled || v.Status == types.BucketVersioningStatusSuspended
		}
		if !im.cfg.DryRun {
			if err := im.prepareDest(ctx, j); err != nil {
				return nil, err
			}
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

// prepareDest creates j's destination bucket if it is missing, and turns
// versioning on there if the source has versions.
func (im *importer) prepareDest(ctx context.Context, j *job) error {
	b := aws.String(j.pair.Dest)
	_, err := call(ctx, im.cfg, "checking destination bucket "+j.pair.Dest, func(ctx context.Context) (*s3.HeadBucketOutput, error) {
		return im.dst.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: b})
	})
	if isStatus(err, 404) {
		in := &s3.CreateBucketInput{Bucket: b}
		if r := im.cfg.Dest.Region; r != "us-east-1" {
			in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(r)}
		}
		_, err = call(ctx, im.cfg, "creating destination bucket "+j.pair.Dest, func(ctx context.Context) (*s3.CreateBucketOutput, error) {
			return im.dst.CreateBucket(ctx, in)
		})
		if err == nil {
			im.cfg.Log.Info().Str("bucket", j.pair.Dest).Msg("created destination bucket")
		}
	}
	if err != nil {
		return err
	}
	if !j.versioned {
		return nil
	}
	v, err := call(ctx, im.cfg, "reading versioning of destination bucket "+j.pair.Dest, func(ctx context.Context) (*s3.GetBucketVersioningOutput, error) {
		return im.dst.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b})
	})
	if err != nil {
		return err
	}
	if v.Status == types.BucketVersioningStatusEnabled {
		return nil
	}
	_, err = call(ctx, im.cfg, "enabling versioning on destination bucket "+j.pair.Dest, func(ctx context.Context) (*s3.PutBucketVersioningOutput, error) {
		return im.dst.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b,
			VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}})
	})
	return err
}

// printDry lists what a dry run would copy.
func (im *importer) printDry(it *item) {
	for _, v := range it.versions {
		im.stats.wouldCopy.Add(1)
		im.stats.wouldCopyBytes.Add(v.size)
		what := fmt.Sprintf("%d bytes", v.size)
		if v.deleteMarker {
			what = "delete marker"
		}
		vid := ""
		if v.id != "" {
			vid = " version " + v.id
		}
		im.stats.println(im.cfg.Out, fmt.Sprintf("would copy s3://%s/%s%s -> s3://%s (%s)", it.job.pair.Source, it.key, vid, it.job.pair.Dest, what))
	}
}

// pairFor is the progress pair of the i-th configured bucket pair.
func (c Config) pairFor(i int) metadata.ImportPair {
	return metadata.ImportPair{SourceEndpoint: strings.TrimRight(c.Source.URL, "/"), SourceBucket: c.Buckets[i].Source, DestBucket: c.Buckets[i].Dest}
}
