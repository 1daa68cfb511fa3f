package run

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
)

// Record makes a recording: it runs spec and writes its events to path, one JSON object per
// line, the same events a live run sends to the page. It returns the text of the run's end
// event ("the scenario is over" when all went well). The file appears whole or not at all.
func (r *Runner) Record(ctx context.Context, spec Spec, path string) (string, error) {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp)
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	var end string
	rn, err := r.Start(ctx, spec, func(e Event) {
		_ = enc.Encode(e)
		if e.Type == "end" {
			end = e.Text
		}
	})
	if err != nil {
		f.Close()
		return "", err
	}
	<-rn.Done()
	if err := w.Flush(); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return end, os.Rename(tmp, path)
}
