package lifecycle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/floe-s3/floe/metadata"
	"github.com/rs/zerolog"
)

// Store is what a Worker needs of the metadata store.
type Store interface {
	ClaimLifecycleRun(ctx context.Context, every, lease time.Duration) (metadata.LifecycleRun, bool, error)
	SaveLifecycleRun(ctx context.Context, bucket, keyMarker, versionMarker string, lease time.Duration) error
	ListObjectVersions(ctx context.Context, p metadata.ListVersionsParams) (metadata.ListVersionsResult, error)
	GetObjectVersion(ctx context.Context, bucket, key, versionID string) (metadata.Object, error)
	DeleteObject(ctx context.Context, bucket, key string, opt metadata.DeleteOptions) (metadata.DeleteResult, error)
	ListUploads(ctx context.Context, p metadata.ListUploadsParams) (metadata.ListUploadsResult, error)
	AbortUpload(ctx context.Context, bucket, key, uploadID string) error
}

// Defaults of a Worker.
const (
	DefaultDay  = 24 * time.Hour
	DefaultRate = 100 // deletions per second
)

// pageSize is how many versions a run reads, acts on and then records as
// done.
const pageSize = 1000

// Worker applies lifecycle rules, one bucket run at a time.
type Worker struct {
	Store Store
	// Day is the length of a lifecycle day (DefaultDay if zero).
	Day time.Duration
	// Rate bounds deletions and aborts per second (DefaultRate if zero).
	Rate int
	Log  zerolog.Logger
}

func (w *Worker) day() time.Duration {
	if w.Day > 0 {
		return w.Day
	}
	return DefaultDay
}

// every is how often each bucket is walked: four times a lifecycle day,
// at most hourly, so a rule takes effect within a quarter of a day of
// coming due.
func (w *Worker) every() time.Duration { return min(w.day()/4, time.Hour) }

// lease is how long a claimed run is this worker's without a word.
func (w *Worker) lease() time.Duration { return max(2*w.every(), time.Minute) }

// Run applies rules until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	poll := min(w.every(), 30*time.Second)
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		for {
			ran, err := w.RunOnce(ctx)
			if err != nil && ctx.Err() == nil {
				w.Log.Warn().Err(err).Msg("lifecycle run failed; will retry")
			}
			if !ran || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce claims one bucket's run, if one is due, and applies its rules;
// it reports whether it ran one.
func (w *Worker) RunOnce(ctx context.Context) (bool, error) {
	run, ok, err := w.Store.ClaimLifecycleRun(ctx, w.every(), w.lease())
	if err != nil || !ok {
		return false, err
	}
	var cfg Config
	if err := json.Unmarshal(run.Rules, &cfg); err != nil {
		return true, fmt.Errorf("lifecycle: rules of %s: %w", run.Bucket, err)
	}
	r := &bucketRun{w: w, run: run, cfg: &cfg, limit: newLimiter(w.Rate)}
	defer r.limit.stop()
	if err := r.versions(ctx); err != nil {
		return true, err
	}
	if err := r.uploads(ctx); err != nil {
		return true, err
	}
	w.Log.Info().Str("bucket", run.Bucket).Int("expired", r.expired).Int("removed", r.removed).
		Int("aborted", r.aborted).Int("locked", r.locked).Msg("lifecycle run done")
	return true, w.Store.SaveLifecycleRun(ctx, run.Bucket, "", "", w.lease())
}

// bucketRun is one run over one bucket.
type bucketRun struct {
	w     *Worker
	run   metadata.LifecycleRun
	cfg   *Config
	limit *limiter

	// The key being walked, and what is known of its newer versions.
	key         string
	newerMod    time.Time // LastModified of the next newer version
	noncurrents int       // noncurrent versions of key seen so far
	kept        string    // the last version of key seen that is still there
	gone        bool      // the last version seen was deleted

	expired, removed, aborted, locked int
}

// versions walks the bucket's versions from where the last run stopped.
func (r *bucketRun) versions(ctx context.Context) error {
	p := metadata.ListVersionsParams{Bucket: r.run.Bucket, KeyMarker: r.run.KeyMarker,
		VersionIDMarker: r.run.VersionMarker, MaxKeys: pageSize}
	for {
		page, err := r.w.Store.ListObjectVersions(ctx, p)
		if err != nil {
			return fmt.Errorf("lifecycle: list %s: %w", p.Bucket, err)
		}
		for i, v := range page.Versions {
			// Whether older versions of v's key follow. At the end of a
			// truncated page that is on the next one: look, for a latest
			// delete marker (a lone one is removed), else assume so.
			older := i+1 < len(page.Versions) && page.Versions[i+1].Key == v.Key
			if i+1 == len(page.Versions) && page.IsTruncated {
				older = true
				if v.IsLatest && v.DeleteMarker {
					next, err := r.w.Store.ListObjectVersions(ctx, metadata.ListVersionsParams{Bucket: p.Bucket,
						Prefix: v.Key, KeyMarker: v.Key, VersionIDMarker: v.VersionID, MaxKeys: 1})
					if err != nil {
						return fmt.Errorf("lifecycle: list %s: %w", p.Bucket, err)
					}
					older = len(next.Versions) > 0 && next.Versions[0].Key == v.Key
				}
			}
			if err := r.version(ctx, v, v.IsLatest && !older); err != nil {
				return err
			}
			if !r.gone {
				r.kept = v.VersionID
			}
		}
		if !page.IsTruncated {
			return nil
		}
		p.KeyMarker, p.VersionIDMarker = page.NextKeyMarker, page.NextVersionIDMarker
		if r.gone {
			// A listing from a version that is gone resumes after its
			// key: go on from the last one left, to see the key's older
			// versions.
			p.VersionIDMarker = r.kept
		}
		if err := r.w.Store.SaveLifecycleRun(ctx, p.Bucket, p.KeyMarker, p.VersionIDMarker, r.w.lease()); err != nil {
			return err
		}
	}
}

// version applies the rules to one version; onlyVersion says it is the
// key's latest and nothing older follows it.
func (r *bucketRun) version(ctx context.Context, v metadata.Object, onlyVersion bool) error {
	if v.Key != r.key {
		r.key, r.newerMod, r.noncurrents, r.kept = v.Key, time.Time{}, 0, ""
	}
	r.gone = false
	newerMod := r.newerMod
	r.newerMod = v.LastModified
	if !v.IsLatest {
		r.noncurrents++
		if newerMod.IsZero() {
			return nil // resumed mid-key: when it turned noncurrent is unknown; next run
		}
		return r.noncurrent(ctx, v, newerMod, r.noncurrents-1)
	}
	if v.DeleteMarker {
		if !onlyVersion {
			return nil
		}
		// A lone marker goes at once under ExpiredObjectDeleteMarker,
		// and under Days or Date once it is as old as the rule asks
		// (S3 cleans such markers up as part of age-based expiry).
		for i := range r.cfg.Rules {
			rule := &r.cfg.Rules[i]
			e := rule.Expiration
			if e == nil || !rule.Matches(v.Key, 0, nil) {
				continue
			}
			due := e.ExpiredObjectDeleteMarker != nil && *e.ExpiredObjectDeleteMarker
			if at, ok := rule.Expiry(v.LastModified, r.w.day()); ok && !at.After(r.run.Now) {
				due = true
			}
			if due {
				return r.delete(ctx, v, v.VersionID, &r.removed)
			}
		}
		return nil
	}
	tags := lazyTags{r: r, v: v}
	for i := range r.cfg.Rules {
		rule := &r.cfg.Rules[i]
		if at, ok := rule.Expiry(v.LastModified, r.w.day()); !ok || at.After(r.run.Now) {
			continue
		}
		match, err := tags.matches(ctx, rule)
		if err != nil {
			return err
		}
		if match {
			return r.delete(ctx, v, "", &r.expired) // a delete marker when versioned, if v is still the latest
		}
	}
	return nil
}

// noncurrent applies NoncurrentVersionExpiration to a noncurrent version
// that became noncurrent at since and has newer noncurrent versions
// before it.
func (r *bucketRun) noncurrent(ctx context.Context, v metadata.Object, since time.Time, newer int) error {
	tags := lazyTags{r: r, v: v}
	for i := range r.cfg.Rules {
		rule := &r.cfg.Rules[i]
		n := rule.NoncurrentVersionExpiration
		if n == nil || rule.Status != "Enabled" {
			continue
		}
		if keep := n.NewerNoncurrentVersions; keep != nil && newer < *keep {
			continue
		}
		if since.Add(time.Duration(n.NoncurrentDays) * r.w.day()).After(r.run.Now) {
			continue
		}
		match, err := tags.matches(ctx, rule)
		if err != nil {
			return err
		}
		if match {
			return r.delete(ctx, v, v.VersionID, &r.removed)
		}
	}
	return nil
}

// lazyTags answers Rule.Matches for one version, reading its tags only
// when a rule that is otherwise due filters by tag, and then once.
type lazyTags struct {
	r    *bucketRun
	v    metadata.Object
	tags map[string]string
	read bool
}

func (l *lazyTags) matches(ctx context.Context, rule *Rule) (bool, error) {
	if rule.tags() != nil && !l.read && !l.v.DeleteMarker { // a marker has no tags
		obj, err := l.r.w.Store.GetObjectVersion(ctx, l.r.run.Bucket, l.v.Key, l.v.VersionID)
		switch {
		case errors.Is(err, metadata.ErrNoSuchVersion) || errors.Is(err, metadata.ErrNoSuchKey):
			// deleted meanwhile: no tags
		case err != nil:
			return false, fmt.Errorf("lifecycle: tags of %s/%s: %w", l.r.run.Bucket, l.v.Key, err)
		default:
			l.tags = obj.Tags
		}
		l.read = true
	}
	return rule.Matches(l.v.Key, l.v.Size, l.tags), nil
}

// delete deletes a key (versionID empty: expires its current version) or
// one version, counting it in n. A version Object Lock protects is left,
// and counted as locked: the database refused, as it should.
func (r *bucketRun) delete(ctx context.Context, v metadata.Object, versionID string, n *int) error {
	if err := r.limit.wait(ctx); err != nil {
		return err
	}
	// Conditional on what the run saw, so that a write or a deletion that
	// came after the listing is never undone by a rule.
	opt := metadata.DeleteOptions{VersionID: versionID, Noncurrent: versionID != "" && !v.IsLatest}
	if versionID == "" {
		opt.LatestModified = v.LastModified
	}
	res, err := r.w.Store.DeleteObject(ctx, r.run.Bucket, v.Key, opt)
	switch {
	case errors.Is(err, metadata.ErrObjectLocked):
		r.locked++
		return nil
	case errors.Is(err, metadata.ErrPreconditionFailed):
		return nil // changed since the listing: the next run judges it again
	case err != nil:
		return fmt.Errorf("lifecycle: delete %s/%s %s: %w", r.run.Bucket, v.Key, versionID, err)
	}
	// A version named is gone; expiring the current one removes it
	// (rather than adding a delete marker over it) when not versioned.
	r.gone = versionID != "" || res.Existed
	*n++
	return nil
}

// uploads aborts the bucket's multipart uploads that rules say are stale.
func (r *bucketRun) uploads(ctx context.Context) error {
	var rules []*Rule
	for i := range r.cfg.Rules {
		if rule := &r.cfg.Rules[i]; rule.Status == "Enabled" && rule.AbortIncompleteMultipartUpload != nil {
			rules = append(rules, rule)
		}
	}
	if len(rules) == 0 {
		return nil
	}
	p := metadata.ListUploadsParams{Bucket: r.run.Bucket, MaxUploads: pageSize}
	for {
		page, err := r.w.Store.ListUploads(ctx, p)
		if err != nil {
			return fmt.Errorf("lifecycle: list uploads of %s: %w", p.Bucket, err)
		}
		for _, u := range page.Uploads {
			for _, rule := range rules {
				days := time.Duration(rule.AbortIncompleteMultipartUpload.DaysAfterInitiation)
				if !strings.HasPrefix(u.Key, rule.prefix()) || u.Initiated.Add(days*r.w.day()).After(r.run.Now) {
					continue
				}
				if err := r.limit.wait(ctx); err != nil {
					return err
				}
				err := r.w.Store.AbortUpload(ctx, p.Bucket, u.Key, u.ID)
				if err != nil && !errors.Is(err, metadata.ErrNoSuchUpload) {
					return fmt.Errorf("lifecycle: abort upload %s of %s/%s: %w", u.ID, p.Bucket, u.Key, err)
				}
				if err == nil {
					r.aborted++
				}
				break
			}
		}
		if !page.IsTruncated {
			return nil
		}
		p.KeyMarker, p.UploadIDMarker = page.NextKeyMarker, page.NextUploadIDMarker
	}
}

// limiter paces deletions at a fixed rate.
type limiter struct{ t *time.Ticker }

func newLimiter(rate int) *limiter {
	if rate <= 0 {
		rate = DefaultRate
	}
	rate = min(rate, 1_000_000) // a positive tick, whatever the flag says
	return &limiter{t: time.NewTicker(time.Second / time.Duration(rate))}
}

func (l *limiter) wait(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-l.t.C:
		return nil
	}
}

func (l *limiter) stop() { l.t.Stop() }
