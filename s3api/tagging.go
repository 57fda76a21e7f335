package s3api

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/floe-s3/floe/metadata"
	"github.com/floe-s3/floe/s3api/s3err"
	"github.com/floe-s3/floe/s3api/s3xml"
)

// S3's tagging limits.
const (
	maxObjectTags  = 10
	maxBucketTags  = 50
	maxTagKeyLen   = 128 // Unicode characters
	maxTagValueLen = 256
)

// tagMap checks tags against S3's rules (at most max, keys unique, 1 to
// 128 characters and not in the aws: namespace, values up to 256) and
// returns them as a map, nil when there are none.
func tagMap(tags []s3xml.Tag, max int) (map[string]string, error) {
	if len(tags) > max {
		return nil, s3err.Errorf(s3err.InvalidTag, "Object tags cannot be greater than %d", max)
	}
	if len(tags) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		switch k, v := t.Key, t.Value; {
		case !utf8.ValidString(k) || !utf8.ValidString(v) || strings.ContainsRune(k+v, 0):
			return nil, s3err.New(s3err.InvalidTag, "The TagKey and TagValue must be valid UTF-8.")
		case k == "" || utf8.RuneCountInString(k) > maxTagKeyLen:
			return nil, s3err.Errorf(s3err.InvalidTag, "The TagKey you have provided is invalid: it must be 1 to %d characters", maxTagKeyLen)
		case utf8.RuneCountInString(v) > maxTagValueLen:
			return nil, s3err.Errorf(s3err.InvalidTag, "The TagValue you have provided is too long: at most %d characters", maxTagValueLen)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return nil, s3err.New(s3err.InvalidTag, "System tags cannot be added/updated by requester")
		}
		if _, dup := m[t.Key]; dup {
			return nil, s3err.New(s3err.InvalidTag, "Cannot provide multiple Tags with the same key")
		}
		m[t.Key] = t.Value
	}
	return m, nil
}

// tagHeader reads x-amz-tagging, the URL query encoding of an object's
// tags ("k1=v1&k2=v2").
func tagHeader(h http.Header) (map[string]string, error) {
	v := h.Get("X-Amz-Tagging")
	if v == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(v)
	if err != nil {
		return nil, s3err.Errorf(s3err.InvalidArgument, "x-amz-tagging %q is not URL query encoded", v)
	}
	tags := make([]s3xml.Tag, 0, len(q))
	for k, vs := range q {
		if len(vs) > 1 {
			return nil, s3err.New(s3err.InvalidTag, "Cannot provide multiple Tags with the same key")
		}
		tags = append(tags, s3xml.Tag{Key: k, Value: vs[0]})
	}
	return tagMap(tags, maxObjectTags)
}

// tagSet renders tags as a TagSet in key order.
func tagSet(tags map[string]string) s3xml.TagSet {
	set := s3xml.TagSet{Tags: make([]s3xml.Tag, 0, len(tags))}
	for k, v := range tags {
		set.Tags = append(set.Tags, s3xml.Tag{Key: k, Value: v})
	}
	sort.Slice(set.Tags, func(i, j int) bool { return set.Tags[i].Key < set.Tags[j].Key })
	return set
}

// setTagCount sets x-amz-tagging-count on a GET or HEAD of a tagged
// version.
func setTagCount(h http.Header, tags map[string]string) {
	if len(tags) > 0 {
		h.Set("X-Amz-Tagging-Count", strconv.Itoa(len(tags)))
	}
}

// readTagging decodes a Tagging body and checks it against max.
func readTagging(r *http.Request, req *request, digestRequired bool, max int) (map[string]string, error) {
	var body s3xml.Tagging
	if err := decodeConfigBody(r, req, digestRequired, "Tagging", &body); err != nil {
		return nil, err
	}
	return tagMap(body.TagSet.Tags, max)
}

// getObjectTagging serves GET /bucket/key?tagging[&versionId=].
func (s *Server) getObjectTagging(w http.ResponseWriter, r *http.Request, req *request) error {
	obj, err := s.getVersion(r.Context(), req.bucket, req.key, req.versionID)
	if err != nil {
		return err
	}
	setVersionID(w.Header(), obj.VersionID)
	return s3xml.Write(w, http.StatusOK, s3xml.Tagging{TagSet: tagSet(obj.Tags)})
}

// putObjectTagging serves PUT /bucket/key?tagging[&versionId=], which
// replaces the version's tags.
func (s *Server) putObjectTagging(w http.ResponseWriter, r *http.Request, req *request) error {
	tags, err := readTagging(r, req, false, maxObjectTags)
	if err != nil {
		return err
	}
	return s.setObjectTags(w, r, req, tags, http.StatusOK)
}

// deleteObjectTagging serves DELETE /bucket/key?tagging[&versionId=].
func (s *Server) deleteObjectTagging(w http.ResponseWriter, r *http.Request, req *request) error {
	return s.setObjectTags(w, r, req, nil, http.StatusNoContent)
}

// setObjectTags replaces a version's tags and answers with status.
func (s *Server) setObjectTags(w http.ResponseWriter, r *http.Request, req *request, tags map[string]string, status int) error {
	id, err := s.cfg.Meta.SetObjectTags(r.Context(), req.bucket, req.key, req.versionID, tags)
	if err != nil {
		return err
	}
	if id != metadata.NullVersion { // which an unversioned bucket's objects have
		setVersionID(w.Header(), id)
	}
	w.WriteHeader(status)
	return nil
}

// getBucketTagging serves GET /bucket?tagging: NoSuchTagSet when the
// bucket has none.
func (s *Server) getBucketTagging(w http.ResponseWriter, r *http.Request, req *request) error {
	b, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket)
	if err != nil {
		return err
	}
	if len(b.Tags) == 0 {
		return s3err.NoSuchTagSet
	}
	return s3xml.Write(w, http.StatusOK, s3xml.Tagging{TagSet: tagSet(b.Tags)})
}

// putBucketTagging serves PUT /bucket?tagging (Content-MD5 required, as
// in S3).
func (s *Server) putBucketTagging(w http.ResponseWriter, r *http.Request, req *request) error {
	if _, err := s.cfg.Meta.GetBucket(r.Context(), req.bucket); err != nil {
		return err
	}
	tags, err := readTagging(r, req, true, maxBucketTags)
	if err != nil {
		return err
	}
	if err := s.cfg.Meta.SetBucketTags(r.Context(), req.bucket, tags); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteBucketTagging serves DELETE /bucket?tagging.
func (s *Server) deleteBucketTagging(w http.ResponseWriter, r *http.Request, req *request) error {
	if err := s.cfg.Meta.SetBucketTags(r.Context(), req.bucket, nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
